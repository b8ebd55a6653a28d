"""Validation of the store's input models and the incident id helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from mcp_server.store.models import (
    MAX_DETAILS_BYTES,
    Incident,
    IncidentDraft,
    TimelineEntry,
    TimelineEvent,
    format_incident_id,
    parse_incident_id,
)

WHEN = datetime(2026, 3, 14, 3, 7, tzinfo=UTC)


def draft(**overrides: object) -> IncidentDraft:
    fields: dict[str, object] = {"title": "Checkout 500s", "severity": "SEV2", "declared_by": "alice"}
    return IncidentDraft(**{**fields, **overrides})


def entry(**overrides: object) -> TimelineEntry:
    fields: dict[str, object] = {"source": "human", "kind": "note", "text": "rolled back api"}
    return TimelineEntry(**{**fields, **overrides})


def error_text(exc_info: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(exc_info.value)


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "at least 1 character"),
        ("   ", "must not be blank"),
        ("x" * 201, "at most 200 characters"),
        ("two\nlines", "single line"),
        ("bell\x07", "single line"),
    ],
)
def test_draft_title_rules(title: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc_info:
        draft(title=title)
    assert "title" in error_text(exc_info)
    assert message in error_text(exc_info)


def test_draft_title_of_200_characters_is_accepted() -> None:
    assert len(draft(title="x" * 200).title) == 200


@pytest.mark.parametrize("severity", ["SEV0", "SEV5", "sev1", "critical", ""])
def test_draft_severity_must_be_sev1_to_sev4(severity: str) -> None:
    with pytest.raises(ValidationError) as exc_info:
        draft(severity=severity)
    assert "'SEV1', 'SEV2', 'SEV3' or 'SEV4'" in error_text(exc_info)


def test_draft_requires_who_declared() -> None:
    with pytest.raises(ValidationError, match="declared_by"):
        draft(declared_by=" ")


def test_draft_started_after_declared_is_refused() -> None:
    with pytest.raises(ValidationError, match="started_at .* must not be after declared_at"):
        draft(declared_at=WHEN, started_at=WHEN + timedelta(minutes=1))


def test_draft_started_before_declared_is_kept_and_defaults_to_declared() -> None:
    early = draft(declared_at=WHEN, started_at=WHEN - timedelta(minutes=20))
    assert early.impact_started_at == WHEN - timedelta(minutes=20)
    assert draft(declared_at=WHEN).impact_started_at == WHEN


def test_naive_datetimes_are_refused_and_offsets_normalised() -> None:
    with pytest.raises(ValidationError, match="must carry a timezone"):
        draft(declared_at=datetime(2026, 3, 14, 3, 7))
    shifted = draft(declared_at=datetime(2026, 3, 14, 4, 7, tzinfo=timezone(timedelta(hours=1))))
    assert shifted.declared_at == WHEN
    assert shifted.declared_at.tzinfo == UTC


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        entry(colour="red")


@pytest.mark.parametrize("kind", ["note", "alert_fired", "comms_posted", "k9"])
def test_entry_kind_accepts_lowercase_identifiers(kind: str) -> None:
    assert entry(kind=kind).kind == kind


@pytest.mark.parametrize("kind", ["Note", "alert-fired", "9lives", "two words", "", "x" * 65])
def test_entry_kind_refuses_other_shapes(kind: str) -> None:
    with pytest.raises(ValidationError, match="lowercase identifier"):
        entry(kind=kind)


@pytest.mark.parametrize("source", ["human", "alertmanager", "deploy-file", "prom.eu"])
def test_entry_source_accepts_adapter_names(source: str) -> None:
    assert entry(source=source).source == source


@pytest.mark.parametrize("source", ["Human", "-x", "", "has space"])
def test_entry_source_refuses_other_shapes(source: str) -> None:
    with pytest.raises(ValidationError, match="lowercase name"):
        entry(source=source)


def test_entry_text_limits() -> None:
    assert len(entry(text="y" * 10_000).text) == 10_000
    assert entry(text="line one\n\tline two").text == "line one\n\tline two"
    with pytest.raises(ValidationError, match="at most 10000 characters"):
        entry(text="y" * 10_001)
    with pytest.raises(ValidationError, match="at least 1 character"):
        entry(text="")
    with pytest.raises(ValidationError, match="control characters"):
        entry(text="nul\x00byte")


@pytest.mark.parametrize("link", ["https://slack.example/archives/C1/p1", "http://grafana:3000/d/x", ""])
def test_entry_link_accepts_urls_or_nothing(link: str) -> None:
    assert entry(link=link).link == link


@pytest.mark.parametrize("link", ["slack.example/x", "https://a b", "javascript alert"])
def test_entry_link_refuses_non_urls(link: str) -> None:
    with pytest.raises(ValidationError, match="absolute URL"):
        entry(link=link)


def test_entry_source_id_must_not_be_empty() -> None:
    with pytest.raises(ValidationError, match="source_id"):
        entry(source_id="")


def test_entry_details_must_be_json() -> None:
    assert entry(details={"a": [1, 2.5, None, True, {"b": "c"}]}).details["a"] == [1, 2.5, None, True, {"b": "c"}]
    with pytest.raises(ValidationError, match="NaN and infinity"):
        entry(details={"ratio": float("nan")})
    with pytest.raises(ValidationError):
        entry(details={"when": object()})


def test_entry_details_size_limit() -> None:
    with pytest.raises(ValidationError, match=f"the limit is {MAX_DETAILS_BYTES}"):
        entry(details={"blob": "z" * MAX_DETAILS_BYTES})


def test_output_models_serialise_utc_with_z() -> None:
    incident = Incident(
        id="INC-3",
        title="t",
        severity="SEV1",
        status="open",
        started_at=WHEN,
        declared_at=WHEN,
        declared_by="a",
        updated_at=WHEN,
    )
    dumped = json.loads(incident.model_dump_json())
    assert dumped["declared_at"] == "2026-03-14T03:07:00Z"
    event = TimelineEvent(
        id=1,
        incident_id="INC-3",
        occurred_at=WHEN,
        recorded_at=WHEN,
        source="human",
        kind="note",
        text="x",
    )
    assert json.loads(event.model_dump_json())["occurred_at"] == "2026-03-14T03:07:00Z"


def test_models_are_frozen() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        entry().text = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "number"),
    [("INC-7", 7), ("inc-7", 7), ("INC7", 7), ("7", 7), (" INC-12 ", 12)],
)
def test_parse_incident_id_accepts_human_forms(text: str, number: int) -> None:
    assert parse_incident_id(text) == number


@pytest.mark.parametrize("text", ["INC-0", "INC-", "INC-x", "CASE-7", "", "-3", "7.5"])
def test_parse_incident_id_refuses_others(text: str) -> None:
    assert parse_incident_id(text) is None


def test_format_incident_id_round_trips() -> None:
    assert format_incident_id(42) == "INC-42"
    assert parse_incident_id(format_incident_id(42)) == 42
