-- One row per number: the lock every consent change and every SMS send takes, so that a STOP and a send for
-- the same number are strictly ordered (see Sending/SmsGate.cs).
CREATE TABLE consent.numbers (
    phone        text        PRIMARY KEY,
    wrong_number boolean     NOT NULL DEFAULT false,
    spam         boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Current consent per number and channel; absent means unknown. Derived from the ledger, kept for fast reads.
CREATE TABLE consent.consent_state (
    phone         text        NOT NULL REFERENCES consent.numbers (phone),
    channel       text        NOT NULL CHECK (channel IN ('sms', 'voice')),
    state         text        NOT NULL CHECK (state IN ('express', 'implied', 'opted_out', 'do_not_contact')),
    last_event_id bigint      NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (phone, channel)
);

-- The ledger compliance staff audit: append-only and hash-chained. hash = SHA-256 of the previous row's hash
-- and this row's canonical content (Ledger/ConsentLedger.cs), so any edit breaks the chain from that row on.
CREATE TABLE consent.consent_events (
    id           bigint      PRIMARY KEY,
    phone        text        NOT NULL,
    channel      text        NOT NULL CHECK (channel IN ('sms', 'voice')),
    old_state    text        NOT NULL,
    new_state    text        NOT NULL,
    source       text        NOT NULL,
    source_ref   text,
    actor        text        NOT NULL,
    evidence     text        NOT NULL,
    needs_review boolean     NOT NULL,
    occurred_at  timestamptz NOT NULL,
    prev_hash    text        NOT NULL,
    hash         text        NOT NULL
);

CREATE INDEX consent_events_by_phone ON consent.consent_events (phone, occurred_at);
CREATE INDEX consent_events_by_time ON consent.consent_events (occurred_at);
-- A keyword message or carrier error is recorded once however often it is delivered.
CREATE UNIQUE INDEX consent_events_once ON consent.consent_events (source, source_ref, channel) WHERE source_ref IS NOT NULL;

-- The head of the chain; appends lock it, which keeps the chain a line under concurrency.
CREATE TABLE consent.ledger_head (
    id        integer PRIMARY KEY CHECK (id = 1),
    last_id   bigint  NOT NULL,
    last_hash text    NOT NULL
);
INSERT INTO consent.ledger_head (id, last_id, last_hash) VALUES (1, 0, repeat('0', 64));

-- The database refuses to change history: no UPDATE, DELETE or TRUNCATE, whoever asks.
CREATE FUNCTION consent.refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent.consent_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent.consent_events
    FOR EACH ROW EXECUTE FUNCTION consent.refuse_ledger_change();
CREATE TRIGGER consent_events_no_truncate BEFORE TRUNCATE ON consent.consent_events
    FOR EACH STATEMENT EXECUTE FUNCTION consent.refuse_ledger_change();

-- And privileges: the role services log in with (a member of recoverycomms_app) may only read and append.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'recoverycomms_app') THEN
        CREATE ROLE recoverycomms_app NOLOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA consent TO recoverycomms_app;
GRANT SELECT, INSERT ON consent.consent_events TO recoverycomms_app;
REVOKE UPDATE, DELETE, TRUNCATE ON consent.consent_events FROM PUBLIC, recoverycomms_app;
