"""Who owns a changed file: CODEOWNERS rules, services' path globs, and the routes a file serves.

Pure functions over paths as git prints them (relative to the repository root, ``/`` separators).
Patterns are compiled once and cached (:func:`compile_globs`, :func:`codeowners_regex`), because
ranking asks about the same few hundred paths for thousands of deploys.

Two glob dialects, both case-sensitive like git paths:

* Config globs (a service's ``paths`` and ``routes`` values) are anchored at the repository root
  (a leading ``/`` or ``./`` is ignored); ``*`` and ``?`` stay within one path segment, ``**``
  spans any number of segments, and a glob that matches a directory owns everything below it, so
  ``services/checkout``, ``services/checkout/`` and ``services/checkout/**`` mean the same subtree.
* CODEOWNERS patterns follow GitHub: a pattern with a ``/`` at its start or middle is anchored at
  the root, one without matches at any depth; a trailing ``/`` matches everything below such a
  directory; ``docs/*`` matches files directly in ``docs`` only (GitHub's documented exception to
  gitignore); ``**`` spans segments; the last matching rule wins, and a rule without owners
  leaves the path unowned. Negation (``!``) and ``[...]`` ranges are not CODEOWNERS syntax: ``!``
  lines are skipped, brackets match literally.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from mcp_server.config import ServiceConfig

_PARAMETER = re.compile(r"\{.*\}|:.+|<.*>|\*.*|\[.*\]")
_VERSION = re.compile(r"v?\d+(?:\.\d+)*")
# Route segments that say nothing about which code serves them.
_GENERIC_SEGMENTS = frozenset({"api", "apis", "rest", "rpc", "graphql", "internal", "public", "private"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True)
class CodeOwnersRule:
    """One CODEOWNERS line: a pattern, its owners (possibly none), and where it was."""

    pattern: str
    owners: tuple[str, ...]
    line: int
    regex: re.Pattern[str] = field(repr=False, compare=False)

    def matches(self, path: str) -> bool:
        """Whether the rule's pattern covers ``path``."""
        return self.regex.fullmatch(normalize_path(path)) is not None


def normalize_path(path: str) -> str:
    """A repository path without a leading ``./`` or ``/``."""
    path = path.strip()
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def parse_codeowners(text: str) -> list[CodeOwnersRule]:
    """Rules of a CODEOWNERS file, in file order (so the last matching one wins).

    Blank lines and ``#`` comments are skipped, as are inline comments after the owners; ``\\#``
    and ``\\ `` escape a literal ``#`` or space in a pattern. Lines starting with ``!`` are skipped
    because GitHub rejects negation in CODEOWNERS.
    """
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("!"):
            continue
        pattern, rest = _split_pattern(line)
        owners = []
        for token in rest.split():
            if token.startswith("#"):
                break  # an inline comment runs to the end of the line
            owners.append(token)
        rules.append(
            CodeOwnersRule(pattern=pattern, owners=tuple(owners), line=number, regex=codeowners_regex(pattern))
        )
    return rules


def _split_pattern(line: str) -> tuple[str, str]:
    """The pattern (up to the first unescaped whitespace, escapes removed) and the rest of the line."""
    chars: list[str] = []
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line):
            chars.append(line[i + 1])
            i += 2
            continue
        if char.isspace():
            break
        chars.append(char)
        i += 1
    return "".join(chars), line[i:]


def owners_of(path: str, rules: Sequence[CodeOwnersRule]) -> list[str]:
    """Owners CODEOWNERS gives ``path``: those of the last rule that matches, else none."""
    return list(_index((), rules).owners(normalize_path(path))) if rules else []


def services_owning(
    path: str, services: Iterable[ServiceConfig], codeowner_rules: Sequence[CodeOwnersRule] = ()
) -> set[str]:
    """Names of the services ``path`` belongs to.

    A path belongs to a service when one of the service's ``paths`` globs matches it, or when
    CODEOWNERS gives it to an owner naming the service's team or the service itself: ``@org/<team>``,
    ``@<team>`` or the bare name, compared case-insensitively (GitHub team names are). Pass the
    services of the repository the path is in: globs are relative to a repository root.
    """
    return set(_index(tuple(services), codeowner_rules).owning(normalize_path(path)))


class _Index:
    """Answers for one list of services and one set of rules, remembered per path.

    Ranking asks about the same paths for every deploy; an answer costs one dict lookup after the
    first. Rules and services are treated as immutable (ServiceConfig is frozen; a parsed rule
    list is not edited in place).
    """

    _MAX_PATHS = 100_000

    def __init__(self, services: tuple[ServiceConfig, ...], rules: Sequence[CodeOwnersRule]) -> None:
        self.keep = (services, rules)  # strong references: the ids in the cache key stay valid
        self.rules = tuple(rules)
        self.globs = [(s.name, compile_globs(tuple(s.paths))) for s in services if s.paths]
        self.by_owner: dict[str, set[str]] = {}
        for service in services:
            for name in {service.name.lower(), _owner_name(service.team) if service.team else ""} - {""}:
                self.by_owner.setdefault(name, set()).add(service.name)
        self._owners: dict[str, tuple[str, ...]] = {}
        self._owning: dict[str, frozenset[str]] = {}

    def owners(self, path: str) -> tuple[str, ...]:
        found = self._owners.get(path)
        if found is None:
            found = next((rule.owners for rule in reversed(self.rules) if rule.regex.fullmatch(path)), ())
            self._owners[path] = found
            if len(self._owners) > self._MAX_PATHS:
                self._owners.clear()
        return found

    def owning(self, path: str) -> frozenset[str]:
        found = self._owning.get(path)
        if found is None:
            names = {name for name, globs in self.globs if globs.fullmatch(path)}
            for owner in self.owners(path) if self.rules else ():
                names |= self.by_owner.get(_owner_name(owner), set())
            found = self._owning[path] = frozenset(names)
            if len(self._owning) > self._MAX_PATHS:
                self._owning.clear()
        return found


_INDEXES: OrderedDict[tuple[tuple[int, ...], int, int], _Index] = OrderedDict()
_MAX_INDEXES = 64


def _index(services: tuple[ServiceConfig, ...], rules: Sequence[CodeOwnersRule]) -> _Index:
    # Keyed by identity: hashing whole configs on every call would cost more than the answer.
    key = (tuple(map(id, services)), id(rules), len(rules))
    index = _INDEXES.get(key)
    if index is None:
        index = _INDEXES[key] = _Index(services, rules)
        while len(_INDEXES) > _MAX_INDEXES:
            _INDEXES.popitem(last=False)
    return index


@lru_cache(maxsize=4096)
def _owner_name(owner: str) -> str:
    """``@acme/payments``, ``@payments`` and ``payments`` all name ``payments``."""
    name = owner.strip().lstrip("@").lower()
    return name.rsplit("/", 1)[-1] if "@" not in name else name


def routes_touched(path: str, service: ServiceConfig, routes: Iterable[str] = ()) -> list[str]:
    """Routes of ``service`` that the file at ``path`` serves.

    A route with globs in the service's ``routes`` map is touched when one of them matches. A
    route without globs (an empty list in the map, or one of ``routes`` the caller observed, e.g.
    the failing routes from the metrics) falls back to names: every meaningful segment of the
    route must appear in the path, as a whole directory name or file stem, or as a run of words
    inside one (``checkout_submit.go``, ``SubmitOrder.java``, ``place-order/``). Parameters
    (``{id}``, ``:id``, ``<id>``, ``[id]``, ``*rest``), versions (``v1``, ``2``) and generic
    words (``api``, ``internal``, ...) are not meaningful, a trailing plural ``s`` is ignored, and
    a route of only such segments is never matched by name. The fallback cannot see routing tables: a handler
    whose file is named unlike its route is missed, and a directory named like a route claims
    every file below it. Routes are returned in map order, then in the order given.
    """
    path = normalize_path(path)
    touched: list[str] = []
    by_name: list[str] = []
    for route, globs in service.routes.items():
        if globs:
            if compile_globs(tuple(globs)).fullmatch(path):
                touched.append(route)
        else:
            by_name.append(route)
    by_name.extend(r for r in routes if r not in service.routes or not service.routes[r])
    components = _path_words(path)
    for route in dict.fromkeys(by_name):
        segments = _route_words(route)
        if segments and all(_found(words, components) for words in segments) and route not in touched:
            touched.append(route)
    return touched


@lru_cache(maxsize=8192)
def _path_words(path: str) -> tuple[tuple[str, ...], ...]:
    """Words of each directory name and of the file's stem (its extension dropped)."""
    *directories, name = path.split("/")
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    return tuple(words for part in (*directories, stem) if (words := _words(part)))


@lru_cache(maxsize=4096)
def _route_words(route: str) -> tuple[tuple[str, ...], ...]:
    """Words of each meaningful segment of a route, e.g. ``/api/v1/place-order/{id}`` -> ((place, order),)."""
    segments = []
    for segment in route.split("?", 1)[0].split("/"):
        if not segment or _PARAMETER.fullmatch(segment) or _VERSION.fullmatch(segment.lower()):
            continue
        if segment.lower() in _GENERIC_SEGMENTS:
            continue
        if words := _words(segment):
            segments.append(words)
    return tuple(segments)


def _words(text: str) -> tuple[str, ...]:
    return tuple(_singular(w.lower()) for w in _NON_WORD.split(_CAMEL.sub(" ", text)) if w)


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _found(words: tuple[str, ...], components: tuple[tuple[str, ...], ...]) -> bool:
    """Whether ``words`` occur as a contiguous run in one path component."""
    size = len(words)
    return any(component[i : i + size] == words for component in components for i in range(len(component) - size + 1))


def glob_match(path: str, pattern: str) -> bool:
    """Whether a config glob matches ``path`` (see the module docstring for the dialect)."""
    return compile_globs((pattern,)).fullmatch(normalize_path(path)) is not None


@lru_cache(maxsize=4096)
def compile_globs(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex matching a path when any of the config globs does (use ``fullmatch``)."""
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{_glob_body(p)})" for p in patterns))


def _glob_body(pattern: str) -> str:
    pattern = normalize_path(pattern)
    if pattern.endswith("/"):
        pattern += "**"
    translated, ends_in_globstar = _translate(pattern)
    # A glob naming a directory owns everything below it.
    return translated if ends_in_globstar else translated + "(?:/.*)?"


@lru_cache(maxsize=4096)
def codeowners_regex(pattern: str) -> re.Pattern[str]:
    """The regex of one CODEOWNERS pattern (use ``fullmatch`` on a normalized path)."""
    directory_only = pattern.endswith("/")
    body = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in body
    translated, ends_in_globstar = _translate(body)
    if directory_only:
        suffix = "/.+"
    elif ends_in_globstar or (body.endswith("*") and body.rsplit("/", 1)[-1] == "*" and "/" in pattern):
        suffix = ""  # "dir/**" already spans; "docs/*" must not descend (GitHub's rule)
    else:
        suffix = "(?:/.*)?"  # a file, or a directory and everything below it
    return re.compile(("" if anchored else "(?:.*/)?") + translated + suffix)


def _translate(pattern: str) -> tuple[str, bool]:
    """Regex for a slash-separated glob, and whether it ends in ``**`` (which already spans segments)."""
    segments = pattern.split("/")
    out = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            out.append(".+" if last and index else ".*" if last else "(?:.*/)?")
            continue
        out.append(_segment(segment) + ("" if last else "/"))
    return "".join(out), segments[-1] == "**"


def _segment(segment: str) -> str:
    """One path segment: ``*`` and ``?`` never cross a ``/``.

    As in :func:`fnmatch.translate`, the text between two stars is matched at its first occurrence
    inside an atomic group: that is always a valid choice, and it keeps ``*a*a*a*c`` linear where
    plain backtracking would be exponential.
    """
    chunks = ["".join("[^/]" if c == "?" else re.escape(c) for c in chunk) for chunk in segment.split("*")]
    if len(chunks) == 1:
        return chunks[0]
    middle = "".join(f"(?>[^/]*?{chunk})" for chunk in chunks[1:-1] if chunk)
    return f"{chunks[0]}{middle}[^/]*{chunks[-1]}"
