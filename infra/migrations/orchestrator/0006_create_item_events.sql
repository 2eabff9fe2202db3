-- The timeline of an item: every claim, attempt, SMS, status change, trigger, escalation, reassignment and
-- disposition, with who and when. Append-only.
CREATE TABLE orchestrator.item_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id    uuid        NOT NULL REFERENCES orchestrator.recovery_items (id),
    at         timestamptz NOT NULL,
    actor_id   uuid,
    actor_name text        NOT NULL,
    kind       text        NOT NULL,
    detail     text        NOT NULL DEFAULT '',
    status     text        NOT NULL
);

CREATE INDEX item_events_by_item ON orchestrator.item_events (item_id, id);
CREATE INDEX item_events_by_kind ON orchestrator.item_events (kind, at);
