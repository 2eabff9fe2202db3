-- The shop's CRM endpoints that receive recovery events (outbound webhooks). A removed subscription keeps its
-- row (deleted_at), so its delivery log stays readable; only rows with deleted_at IS NULL receive events.
CREATE TABLE orchestrator.webhook_subscriptions (
    id         uuid        PRIMARY KEY,
    url        text        NOT NULL,
    events     text[]      NOT NULL CHECK (cardinality(events) > 0),
    -- Note: the secret is stored as issued, not hashed like API keys. An API key only has to be recognised when
    -- it is presented, which a hash allows; this secret is the HMAC key every delivery is signed with, so the
    -- dispatcher must be able to read it back. It is shown once, in the POST answer, and no API returns it again.
    secret     text        NOT NULL,
    created_at timestamptz NOT NULL,
    created_by text        NOT NULL,
    deleted_at timestamptz
);
