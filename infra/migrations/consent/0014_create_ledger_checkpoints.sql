-- Signed checkpoints of the ledger's head: (event_id, hash) signed with HMAC-SHA256 under Consent:CheckpointKey,
-- a key kept in configuration and never in the database. A holder of a checkpoint (an auditor's copy) can later
-- prove that no row up to event_id was changed or removed, even by a superuser who rebuilt a consistent chain:
-- that needs the key to sign a new one. event_id 0 is the empty ledger (hash = 64 zeros).
CREATE TABLE consent.ledger_checkpoints (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id   bigint      NOT NULL,
    hash       text        NOT NULL,
    key_id     text        NOT NULL,
    signature  text        NOT NULL,
    created_at timestamptz NOT NULL
);

-- One checkpoint per head: replicas and repeated requests at the same head share it.
CREATE UNIQUE INDEX ledger_checkpoints_once ON consent.ledger_checkpoints (event_id);

CREATE FUNCTION consent.refuse_checkpoint_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent.ledger_checkpoints is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON consent.ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION consent.refuse_checkpoint_change();
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON consent.ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION consent.refuse_checkpoint_change();

GRANT SELECT, INSERT ON consent.ledger_checkpoints TO recoverycomms_app;
REVOKE UPDATE, DELETE, TRUNCATE ON consent.ledger_checkpoints FROM PUBLIC, recoverycomms_app;
