-- The newest ApiKeyHeartbeat of the key owner (the orchestrator), stored with the revocations it carries. The
-- consent service's privileged routes answer only while it is recent (Auth:KeyReplicaMaxAge, by this database's
-- clock): an older one means revocations may be missing here, so those routes fail closed.
CREATE TABLE consent.api_key_heartbeat (
    id           integer     PRIMARY KEY CHECK (id = 1),
    published_at timestamptz NOT NULL
);
