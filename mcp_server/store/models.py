"""The incident record's data models: what callers send (drafts) and what the store answers.

Input models (``IncidentDraft``, ``TimelineEntry``) carry every validation rule, so a backend only
ever sees well-formed values; output models (``Incident``, ``TimelineEvent``) are what every backend
returns. All datetimes are aware UTC and serialise as ISO-8601 with a ``Z`` (``adapters.models``).

Incident ids have a human form, ``INC-<n>``, with ``n`` allocated sequentially by the backend.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, JsonValue, model_validator

from adapters.models import Model, PostResult, UtcDatetime, utcnow

Severity = Literal["SEV1", "SEV2", "SEV3", "SEV4"]
Status = Literal["open", "mitigated", "resolved"]
SEVERITIES: tuple[str, ...] = ("SEV1", "SEV2", "SEV3", "SEV4")
STATUSES: tuple[str, ...] = ("open", "mitigated", "resolved")

INCIDENT_PREFIX = "INC-"
MAX_DETAILS_BYTES = 64 * 1024
_INCIDENT_ID = re.compile(r"^\s*(?:inc-?)?(\d{1,18})\s*$", re.IGNORECASE)
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# Sources are often adapter instance names from the config, which may contain '-' or '.'.
_SOURCE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, LF and CR stay allowed
_LINE_BREAK = re.compile(r"[\r\n]")


def format_incident_id(number: int) -> str:
    """The human form of an incident number: ``7`` -> ``INC-7``."""
    return f"{INCIDENT_PREFIX}{number}"


def parse_incident_id(value: str) -> int | None:
    """The number inside ``INC-7`` (also ``inc-7``, ``INC7``, ``7``), or None if it is not an id."""
    match = _INCIDENT_ID.match(value) if isinstance(value, str) else None
    if not match:
        return None
    number = int(match.group(1))
    return number if number > 0 else None


def _one_line(value: str) -> str:
    # Titles, actors and the like end up in Slack headers and tables: one line, no control bytes.
    if _LINE_BREAK.search(value) or _CONTROL.search(value):
        raise ValueError("must be a single line without control characters")
    return value


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (newlines and tabs are fine)")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _kind(value: str) -> str:
    if not _KIND.match(value):
        raise ValueError("must be a lowercase identifier such as 'note' or 'alert_fired' ([a-z][a-z0-9_]*, max 64)")
    return value


def _source(value: str) -> str:
    if not _SOURCE.match(value):
        raise ValueError("must be a lowercase name such as 'human' or 'alertmanager' ([a-z][a-z0-9_.-]*, max 64)")
    return value


def _link(value: str) -> str:
    if value and not _URL.match(value):
        raise ValueError("must be empty or an absolute URL such as 'https://...' (no spaces)")
    return value


def _details_json(value: dict[str, JsonValue]) -> dict[str, JsonValue]:
    try:
        encoded = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise ValueError("must be plain JSON: NaN and infinity have no JSON form") from None
    size = len(encoded.encode("utf-8"))
    if size > MAX_DETAILS_BYTES:
        raise ValueError(f"is {size} bytes as JSON; the limit is {MAX_DETAILS_BYTES} (link to bulky data instead)")
    return value


Title = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_one_line), AfterValidator(_not_blank)]
Person = Annotated[str, Field(max_length=200), AfterValidator(_one_line)]
ServiceName = Annotated[str, Field(max_length=128), AfterValidator(_one_line)]
Text = Annotated[str, Field(min_length=1, max_length=10_000), AfterValidator(_no_control), AfterValidator(_not_blank)]
Kind = Annotated[str, AfterValidator(_kind)]
Source = Annotated[str, AfterValidator(_source)]
Link = Annotated[str, Field(max_length=2_000), AfterValidator(_link)]
SourceId = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_one_line)]
Details = Annotated[dict[str, JsonValue], AfterValidator(_details_json)]


class IncidentDraft(Model):
    """What a caller sends to declare an incident.

    ``declared_at`` defaults to now; ``started_at`` (when impact began) defaults to ``declared_at``
    and may precede it, never follow it.
    """

    title: Title
    severity: Severity
    declared_by: Annotated[Person, Field(min_length=1), AfterValidator(_not_blank)]
    suspected_service: ServiceName = ""
    started_at: UtcDatetime | None = None
    declared_at: UtcDatetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _started_not_after_declared(self) -> IncidentDraft:
        if self.started_at is not None and self.started_at > self.declared_at:
            raise ValueError("started_at (when impact began) must not be after declared_at")
        return self

    @property
    def impact_started_at(self) -> datetime:
        """When impact began: ``started_at`` if given, else the declaration time."""
        return self.started_at or self.declared_at


class Incident(Model):
    """One incident as stored."""

    id: str = Field(description="Human id, e.g. INC-7")
    title: str
    severity: Severity
    status: Status
    suspected_service: str = ""
    started_at: UtcDatetime
    declared_at: UtcDatetime
    declared_by: str
    updated_at: UtcDatetime = Field(description="Last time anything about the incident was recorded")


class TimelineEntry(Model):
    """What a caller sends to add one event to an incident's timeline.

    With a ``source_id`` the append is idempotent: the pair (source, source_id) is recorded once per
    incident, so re-importing the same Slack message or alert is harmless.
    """

    source: Source
    kind: Kind
    text: Text
    occurred_at: UtcDatetime | None = Field(default=None, description="When it happened; default: when recorded")
    actor: Person = ""
    link: Link = ""
    source_id: SourceId | None = None
    details: Details = Field(default_factory=dict)


class TimelineEvent(Model):
    """One event of an incident's timeline as stored."""

    id: int
    incident_id: str
    occurred_at: UtcDatetime
    recorded_at: UtcDatetime
    source: str
    kind: str
    actor: str = ""
    text: str
    link: str = ""
    source_id: str | None = None
    details: dict[str, JsonValue] = Field(default_factory=dict)
    edited_at: UtcDatetime | None = Field(default=None, description="Last change of text, actor or link")
    deleted_at: UtcDatetime | None = Field(default=None, description="When the source deleted it; the text is kept")
    revision_count: int = Field(default=0, description="Earlier versions kept (see get_revisions)")


RevisionChange = Literal["updated", "deleted"]


class EventRevision(Model):
    """An earlier version of a timeline event, kept when the event was updated or flagged deleted."""

    id: int
    event_id: int
    change: RevisionChange = Field(description="What replaced this version: an update, or the deletion flag")
    kind: str
    text: str
    actor: str = ""
    link: str = ""
    details: dict[str, JsonValue] = Field(default_factory=dict)
    replaced_at: UtcDatetime = Field(description="When this version stopped being current")


UpsertOutcome = Literal["created", "updated", "unchanged"]


# -- the sync cursors' neighbours: the alert inbox -------------------------------------------------

AlertStatus = Literal["firing", "resolved"]


class InboxAlertIn(Model):
    """One alert of one Alertmanager notification, as the webhook receiver stores it.

    Recorded once per (fingerprint, status, starts_at, ends_at): Alertmanager repeats a firing
    alert every ``repeat_interval`` and every group member in each notification of its group.
    """

    fingerprint: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_one_line)]
    status: AlertStatus
    name: Annotated[str, Field(max_length=500)] = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: UtcDatetime
    ends_at: UtcDatetime | None = Field(default=None, description="None while firing")
    generator_url: Annotated[str, Field(max_length=2_000)] = ""
    receiver: Annotated[str, Field(max_length=500)] = ""
    group_key: Annotated[str, Field(max_length=2_000)] = ""
    external_url: Annotated[str, Field(max_length=2_000)] = ""


class InboxAlert(InboxAlertIn):
    """An alert notification as stored in the inbox."""

    id: int
    received_at: UtcDatetime


# -- communication drafts ----------------------------------------------------------------------------

Audience = Literal["status_page", "chat", "exec_email", "support"]
AUDIENCES: tuple[str, ...] = ("status_page", "chat", "exec_email", "support")
DRAFT_PREFIX = "D-"
_DRAFT_ID = re.compile(r"^\s*d-?(\d{1,18})\s*$", re.IGNORECASE)


def format_draft_id(number: int) -> str:
    """The human form of a draft number: ``3`` -> ``D-3``."""
    return f"{DRAFT_PREFIX}{number}"


def parse_draft_id(value: str) -> int | None:
    """The number inside ``D-3`` (also ``d-3``, ``D3``), or None if it is not a draft id."""
    match = _DRAFT_ID.match(value) if isinstance(value, str) else None
    if not match:
        return None
    number = int(match.group(1))
    return number if number > 0 else None


class DraftIn(Model):
    """What the communications code saves: one message for one audience, not yet posted."""

    incident_id: str
    audience: Audience
    channel: Annotated[str, Field(max_length=500)] = Field(default="", description="Where it would go")
    subject: Annotated[str, Field(max_length=1_000)] = ""
    body: Annotated[str, Field(max_length=100_000)]
    public_state: Annotated[str, Field(max_length=64)] = Field(default="", description="'' unless status_page")
    components: dict[str, str] = Field(default_factory=dict)
    facts: Details = Field(default_factory=dict)
    findings: list[dict[str, str]] = Field(default_factory=list, description="Each {rule, text, message}")
    token_hash: Annotated[str, Field(max_length=200)] = ""
    created_by: Annotated[Person, Field(min_length=1), AfterValidator(_not_blank)]


class Draft(Model):
    """A saved communication draft; ``post`` is set once it went out."""

    id: str = Field(description="D-<n>, sequential")
    incident_id: str
    audience: Audience
    channel: str = ""
    subject: str = ""
    body: str
    public_state: str = ""
    components: dict[str, str] = Field(default_factory=dict)
    facts: dict[str, JsonValue] = Field(default_factory=dict)
    findings: list[dict[str, str]] = Field(default_factory=list)
    token_hash: str = ""
    created_at: UtcDatetime
    created_by: str
    posted_at: UtcDatetime | None = None
    post: PostResult | None = None
    confirmed_by: str = ""
