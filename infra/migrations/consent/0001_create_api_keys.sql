-- The consent service's copy of the orchestrator's API keys (hashes and roles only), kept current by the
-- ApiKeyIssued and ApiKeyRevoked events, so compliance staff authenticate here without calling the orchestrator.
CREATE TABLE consent.api_keys (
    key_id     uuid        PRIMARY KEY,
    user_id    uuid        NOT NULL,
    user_name  text        NOT NULL,
    role       text        NOT NULL,
    key_hash   text        NOT NULL UNIQUE,
    issued_at  timestamptz NOT NULL,
    revoked_at timestamptz
);
