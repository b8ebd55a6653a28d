"""assign_roles: likely roots against downstream symptoms, following degraded dependencies."""

from __future__ import annotations

import pytest

from mcp_server.triage.topology import assign_roles

from .helpers import verdict


def roles(statuses: dict[str, str], depends_on: dict[str, list[str]]) -> dict[str, tuple[str, list[str]]]:
    """service -> (role, caused_by) after assign_roles."""
    verdicts = [verdict(name, status) for name, status in statuses.items()]
    return {v.service: (v.role, v.caused_by) for v in assign_roles(verdicts, depends_on)}


ROOT, NONE = ("likely_root", []), ("none", [])


def symptom(*roots: str) -> tuple[str, list[str]]:
    return ("symptom", list(roots))


D = "degraded"


@pytest.mark.parametrize(
    ("statuses", "depends_on", "expected"),
    [
        pytest.param(
            {"a": D, "b": D, "c": D},
            {"a": ["b"], "b": ["c"]},
            {"a": symptom("c"), "b": symptom("c"), "c": ROOT},
            id="chain a->b->c: c is the root of both",
        ),
        pytest.param(
            {"a": D, "b": "healthy"},
            {"a": ["b"]},
            {"a": ROOT, "b": NONE},
            id="degraded caller of a healthy dependency is a root",
        ),
        pytest.param(
            {"a": D, "b": "healthy", "c": D},
            {"a": ["b"], "b": ["c"]},
            {"a": ROOT, "b": NONE, "c": ROOT},
            id="a healthy service in between breaks the chain",
        ),
        pytest.param(
            {"web": D, "pay": D, "db": D, "mq": D},
            {"web": ["db"], "pay": ["mq"]},
            {"web": symptom("db"), "pay": symptom("mq"), "db": ROOT, "mq": ROOT},
            id="two independent roots",
        ),
        pytest.param(
            {"web": D, "api": D, "db": D, "cache": D},
            {"web": ["api"], "api": ["db", "cache"]},
            {"web": symptom("cache", "db"), "api": symptom("cache", "db"), "db": ROOT, "cache": ROOT},
            id="a symptom of two roots names both, sorted",
        ),
        pytest.param(
            {"a": D, "b": D},
            {"a": ["b"], "b": ["a"]},
            {"a": ROOT, "b": ROOT},
            id="a degraded cycle: all members are roots",
        ),
        pytest.param(
            {"a": D},
            {"a": ["a"]},
            {"a": ROOT},
            id="a service depending on itself",
        ),
        pytest.param(
            {"x": D, "a": D, "b": D},
            {"x": ["a"], "a": ["b"], "b": ["a"]},
            {"x": symptom("a", "b"), "a": ROOT, "b": ROOT},
            id="leading into a degraded cycle is a symptom of its members",
        ),
        pytest.param(
            {"a": D, "b": D, "c": D},
            {"a": ["b"], "b": ["a", "c"]},
            {"a": symptom("c"), "b": symptom("c"), "c": ROOT},
            id="a cycle that depends on a root is a symptom of it",
        ),
        pytest.param(
            {"x": D, "c": D, "a": D, "b": D},
            {"x": ["c", "a"], "a": ["b"], "b": ["a"]},
            {"x": symptom("a", "b", "c"), "c": ROOT, "a": ROOT, "b": ROOT},
            id="downstream of a root and of a cycle: caused_by names every root",
        ),
        pytest.param(
            {"a": D, "b": D, "d": D, "e": D},
            {"a": ["b"], "b": ["a", "d"], "d": ["e"], "e": ["d"]},
            {"a": symptom("d", "e"), "b": symptom("d", "e"), "d": ROOT, "e": ROOT},
            id="a cycle leading into another cycle is its symptom",
        ),
        pytest.param(
            {"a": "healthy", "b": "quiet", "c": "unknown"},
            {"a": ["b"], "b": ["c"]},
            {"a": NONE, "b": NONE, "c": NONE},
            id="nothing degraded: no roles",
        ),
    ],
)
def test_assign_roles(statuses, depends_on, expected):
    assert roles(statuses, depends_on) == expected


def degraded_reach(start: str, depends_on: dict[str, list[str]]) -> set[str]:
    """Everything below ``start`` in an all-degraded graph (a plain depth-first walk)."""
    found: set[str] = set()

    def walk(name: str) -> None:
        for dep in depends_on.get(name, []):
            if dep not in found:
                found.add(dep)
                walk(dep)

    walk(start)
    return found


@pytest.mark.parametrize(
    "depends_on",
    [
        {"a": ["b", "c"], "b": ["d"], "c": ["e"], "e": ["f"], "f": ["e", "g"], "d": ["d"]},
        {"a": ["b", "x"], "b": ["a"], "x": ["y", "c"], "y": ["x"], "g": ["c", "f"], "f": ["e"], "e": ["f"]},
    ],
)
def test_symptoms_name_exactly_the_likely_roots_below_them(depends_on):
    # The invariants the summary relies on: "downstream of X" names only reported roots, and all
    # of the reported roots the symptom can reach; a symptom always has at least one.
    names = "abcdefgxy"
    result = {v.service: v for v in assign_roles([verdict(n, D) for n in names], depends_on)}
    roots = {n for n, v in result.items() if v.role == "likely_root"}
    assert roots, "every finite graph has at least one root"
    for name, v in result.items():
        if v.role == "symptom":
            assert v.caused_by and set(v.caused_by) == degraded_reach(name, depends_on) & roots
        else:
            assert v.caused_by == []
            # A root reaches nothing that does not reach it back.
            assert all(name in degraded_reach(other, depends_on) for other in degraded_reach(name, depends_on))


def test_a_root_whose_dependency_is_unknown_says_so():
    verdicts = [
        verdict("api", D, reasons=["error ratio 10.00% ..."]),
        verdict("db", "unknown"),
        verdict("mq", "healthy"),
    ]
    api = assign_roles(verdicts, {"api": ["db", "mq"]})[0]
    assert api.role == "likely_root" and api.caused_by == []
    assert api.reasons[0] == "error ratio 10.00% ..."  # the original reasons are kept, first
    assert any("db" in r and "unknown" in r and "mq" not in r for r in api.reasons[1:])


def test_a_root_whose_dependencies_are_known_has_no_caveat():
    verdicts = [verdict("api", D, reasons=["r"]), verdict("db", "healthy"), verdict("mq", "quiet")]
    assert assign_roles(verdicts, {"api": ["db", "mq"]})[0].reasons == ["r"]


def test_a_symptom_says_what_it_is_downstream_of():
    verdicts = [verdict("web", D, reasons=["r"]), verdict("db", D)]
    web = assign_roles(verdicts, {"web": ["db"]})[0]
    assert web.reasons[0] == "r"
    assert any("downstream" in r and "db" in r for r in web.reasons[1:])


def test_non_degraded_services_keep_role_none_and_get_their_dependencies():
    verdicts = [verdict("web", "healthy"), verdict("api", "unknown"), verdict("db", D)]
    result = {v.service: v for v in assign_roles(verdicts, {"web": ["api"], "api": ["db"]})}
    assert result["web"].role == "none" and result["web"].depends_on == ["api"]
    assert result["api"].role == "none" and result["api"].caused_by == []  # unknown is not a symptom
    assert result["api"].depends_on == ["db"]
    assert result["db"].role == "likely_root" and result["db"].depends_on == []


def test_order_is_kept():
    names = ["z", "m", "a"]
    assert [v.service for v in assign_roles([verdict(n, D) for n in names], {})] == names
