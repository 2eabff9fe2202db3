-- Outbox rows the relay could not read (unknown type, payload that does not fit it) are moved here with the
-- error, so that one bad row never holds back the events behind it. Nothing replays them automatically: an
-- operator reads the error, fixes the cause and re-inserts the row into webhooks.outbox if it should still go out.
CREATE TABLE webhooks.outbox_dead_letters (
    outbox_id    bigint      PRIMARY KEY,
    message_id   uuid        NOT NULL,
    message_type text        NOT NULL,
    payload      jsonb       NOT NULL,
    trace_parent text,
    created_at   timestamptz NOT NULL,
    error        text        NOT NULL,
    dead_at      timestamptz NOT NULL DEFAULT now()
);
