-- The people who use RecoveryComms: CSRs, managers, compliance staff and admins.
CREATE TABLE orchestrator.users (
    id         uuid        PRIMARY KEY,
    name       text        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('csr', 'manager', 'compliance', 'admin')),
    phone      text,
    created_at timestamptz NOT NULL,
    created_by text        NOT NULL
);
