"""Trim the JSON schemas pydantic writes for the tools, so every list_tools costs fewer characters.

Clients send each tool's name, description and input schema to the model with every request, and
``list_tools`` carries the output schemas too. pydantic writes a title on every property and model,
every default, ``additionalProperties: false`` on every model and ``anyOf`` for each optional value.
None of that tells a model or a client anything the field names, types and field descriptions do
not, so it goes; the types, enums, formats, ``required`` lists, ``$defs`` and field descriptions stay.

An output schema only ever gets looser here (nothing valid becomes invalid), so what the tools
return still validates on the client; arguments are validated by the tools' own pydantic models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Schema = dict[str, Any]
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not")


def lean_input(schema: Schema) -> Schema:
    """An input schema without titles; defaults and descriptions stay, the model needs them."""
    return _walk(schema, _drop_title)


def lean_output(schema: Schema) -> Schema:
    """An output schema without titles, defaults, model descriptions or ``additionalProperties: false``,
    optional values written as a ``type`` list instead of ``anyOf`` with null."""
    return _walk(schema, _lean_output_node)


def _walk(schema: Schema, node: Callable[[Schema], Schema]) -> Schema:
    """Apply ``node`` to every schema inside ``schema``, innermost first (not to property names or enums)."""
    out = dict(schema)
    for key in ("properties", "$defs"):
        if isinstance(out.get(key), dict):
            out[key] = {name: _walk(sub, node) for name, sub in out[key].items()}
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_walk(sub, node) for sub in out[key]]
    for key in _SCHEMA_VALUES:
        if isinstance(out.get(key), dict):
            out[key] = _walk(out[key], node)
    return node(out)


def _drop_title(node: Schema) -> Schema:
    node.pop("title", None)
    return node


def _lean_output_node(node: Schema) -> Schema:
    node.pop("title", None)
    node.pop("default", None)  # outputs always carry every field, so a default says nothing
    if node.get("additionalProperties") is False:
        del node["additionalProperties"]
    if "properties" in node:
        node.pop("description", None)  # a model's docstring; the tool's description says what it returns
    return _nullable(node)


def _nullable(node: Schema) -> Schema:
    """``anyOf: [{type: T, ...}, {type: null}]`` as ``type: [T, null]`` (same meaning, fewer characters)."""
    options = node.get("anyOf")
    if not isinstance(options, list) or len(options) != 2 or {"type": "null"} not in options:
        return node
    other = options[0] if options[1] == {"type": "null"} else options[1]
    if not isinstance(other.get("type"), str) or "enum" in other or "const" in other:
        return node  # a $ref, an enum or a union: null cannot be folded into it safely
    merged = {k: v for k, v in node.items() if k != "anyOf"}
    merged.update(other)
    merged["type"] = [other["type"], "null"]
    return merged
