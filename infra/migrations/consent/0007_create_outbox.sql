-- Events leave through this table: written in the same transaction as the state they describe,
-- published by the relay afterwards (NOTIFY wakes it at commit).
CREATE TABLE consent.outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id   uuid        NOT NULL UNIQUE,
    message_type text        NOT NULL,
    payload      jsonb       NOT NULL,
    trace_parent text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);

CREATE INDEX outbox_unpublished ON consent.outbox (id) WHERE published_at IS NULL;

CREATE FUNCTION consent.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('consent_outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify AFTER INSERT ON consent.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION consent.notify_outbox();
