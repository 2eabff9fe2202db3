-- API keys, stored as SHA-256 hashes only: the key itself is shown once, when issued. The same table shape
-- exists in every service that authenticates (filled there from ApiKeyIssued/ApiKeyRevoked events).
CREATE TABLE orchestrator.api_keys (
    key_id     uuid        PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES orchestrator.users (id),
    user_name  text        NOT NULL,
    role       text        NOT NULL,
    key_hash   text        NOT NULL UNIQUE,
    issued_at  timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE INDEX api_keys_by_user ON orchestrator.api_keys (user_id);
