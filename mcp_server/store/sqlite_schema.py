"""The SQLite text of each schema step (the step list itself is ``migrations.MIGRATIONS``).

Times are fixed-width ISO-8601 UTC text (sortable as text), JSON is text checked by ``json_valid``;
the PostgreSQL text of the same steps is in ``postgres_schema.py``. A released step is never edited.
"""

V1 = """
CREATE TABLE incidents (
    number            INTEGER PRIMARY KEY AUTOINCREMENT,  -- INC-<number>; AUTOINCREMENT never reuses one
    title             TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    severity          TEXT NOT NULL CHECK (severity IN ('SEV1', 'SEV2', 'SEV3', 'SEV4')),
    status            TEXT NOT NULL CHECK (status IN ('open', 'mitigated', 'resolved')),
    suspected_service TEXT NOT NULL DEFAULT '',
    started_at        TEXT NOT NULL,
    declared_at       TEXT NOT NULL,
    declared_by       TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX incidents_by_status ON incidents (status, number);
CREATE TABLE timeline_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident    INTEGER NOT NULL REFERENCES incidents (number),
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    source      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
    link        TEXT NOT NULL DEFAULT '',
    source_id   TEXT,
    details     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE UNIQUE INDEX timeline_events_dedup
    ON timeline_events (incident, source, source_id) WHERE source_id IS NOT NULL;
CREATE INDEX timeline_events_by_time ON timeline_events (incident, occurred_at, id);
"""

# Timeline sync: edits and deletions keep history, cursors per (incident, source), the alert inbox.
V2 = """
ALTER TABLE timeline_events ADD COLUMN edited_at TEXT;
ALTER TABLE timeline_events ADD COLUMN deleted_at TEXT;
CREATE TABLE event_revisions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    INTEGER NOT NULL REFERENCES timeline_events (id),
    change      TEXT NOT NULL CHECK (change IN ('updated', 'deleted')),
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    actor       TEXT NOT NULL DEFAULT '',
    link        TEXT NOT NULL DEFAULT '',
    details     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
    replaced_at TEXT NOT NULL
);
CREATE INDEX event_revisions_by_event ON event_revisions (event_id, id);
CREATE TABLE sync_cursors (
    incident   INTEGER NOT NULL REFERENCES incidents (number),
    source     TEXT NOT NULL,
    cursor     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (incident, source)
);
CREATE TABLE alert_inbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    name          TEXT NOT NULL DEFAULT '',
    labels        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(labels)),
    annotations   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(annotations)),
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL DEFAULT '',  -- '' while firing: NULLs would never collide in the unique index
    generator_url TEXT NOT NULL DEFAULT '',
    receiver      TEXT NOT NULL DEFAULT '',
    group_key     TEXT NOT NULL DEFAULT '',
    external_url  TEXT NOT NULL DEFAULT '',
    received_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX alert_inbox_dedup ON alert_inbox (fingerprint, status, starts_at, ends_at);
CREATE INDEX alert_inbox_by_start ON alert_inbox (starts_at);
"""

# Communication drafts (posted at most once: claimed under the write lock) and outside systems' ids.
V3 = """
CREATE TABLE drafts (
    number       INTEGER PRIMARY KEY AUTOINCREMENT,  -- D-<number>
    incident     INTEGER NOT NULL REFERENCES incidents (number),
    audience     TEXT NOT NULL CHECK (audience IN ('status_page', 'chat', 'exec_email', 'support')),
    channel      TEXT NOT NULL DEFAULT '',
    subject      TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL,
    public_state TEXT NOT NULL DEFAULT '',
    components   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(components)),
    facts        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(facts)),
    findings     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(findings)),
    token_hash   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    claimed_at   TEXT,
    confirmed_by TEXT NOT NULL DEFAULT '',
    posted_at    TEXT,
    post         TEXT CHECK (post IS NULL OR json_valid(post))
);
CREATE INDEX drafts_by_incident ON drafts (incident, audience, number);
CREATE TABLE remote_ids (
    incident   INTEGER NOT NULL REFERENCES incidents (number),
    target     TEXT NOT NULL,
    remote_id  TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (incident, target)
);
"""

# A hypothesis is one JSON document with a revision: the whole object changes at once, and the
# revision is what refuses a responder's update based on a state another responder already changed.
V4 = """
CREATE TABLE hypotheses (
    number     INTEGER PRIMARY KEY AUTOINCREMENT,  -- H-<number>
    incident   INTEGER NOT NULL REFERENCES incidents (number),
    revision   INTEGER NOT NULL CHECK (revision >= 1),
    body       TEXT NOT NULL CHECK (json_valid(body)),
    updated_at TEXT NOT NULL
);
CREATE INDEX hypotheses_by_incident ON hypotheses (incident, number);
"""

# Coordination: a role's holders are rows with a span, and the partial unique index makes "one
# holder at a time" a rule of the file, not only of the code. Work items, like hypotheses, are JSON
# documents with a revision; ``seq`` numbers each kind per incident (W-1, R-1, Q-1, A-1).
V5 = """
CREATE TABLE roles (
    number      INTEGER PRIMARY KEY AUTOINCREMENT,
    incident    INTEGER NOT NULL REFERENCES incidents (number),
    role        TEXT NOT NULL,
    person      TEXT NOT NULL,
    since       TEXT NOT NULL,
    until       TEXT,
    assigned_by TEXT NOT NULL DEFAULT '',
    event_id    INTEGER
);
CREATE UNIQUE INDEX one_holder_per_role ON roles (incident, role) WHERE until IS NULL;
CREATE TABLE work_items (
    number     INTEGER PRIMARY KEY AUTOINCREMENT,
    incident   INTEGER NOT NULL REFERENCES incidents (number),
    kind       TEXT NOT NULL,
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    revision   INTEGER NOT NULL CHECK (revision >= 1),
    body       TEXT NOT NULL CHECK (json_valid(body)),
    updated_at TEXT NOT NULL,
    UNIQUE (incident, kind, seq)
);
"""

BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at  TEXT NOT NULL
)
"""
