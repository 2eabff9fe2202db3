-- The bootstrap key (Auth:BootstrapAdminKey) is retired for good once an admin has existed: one row, written when
-- the first admin is created, never updated or deleted. Revoking every admin's key does not bring the key back.
-- Note: the primary key on a constant allows one row; UserStore writes it in the transaction that creates an admin.
CREATE TABLE orchestrator.bootstrap_key_retired (
    id             smallint    PRIMARY KEY CHECK (id = 1),
    retired_at     timestamptz NOT NULL,
    first_admin_id uuid        REFERENCES orchestrator.users (id)
);

-- A system that already has an admin (any key of the admin role, revoked or not) starts retired.
INSERT INTO orchestrator.bootstrap_key_retired (id, retired_at, first_admin_id)
SELECT 1, now(), (SELECT user_id FROM orchestrator.api_keys WHERE role = 'admin' ORDER BY issued_at LIMIT 1)
WHERE EXISTS (SELECT 1 FROM orchestrator.api_keys WHERE role = 'admin');

-- The running service may retire the key, never revive it.
REVOKE UPDATE, DELETE, TRUNCATE ON orchestrator.bootstrap_key_retired FROM recoverycomms_app, recoverycomms_orchestrator_app;
