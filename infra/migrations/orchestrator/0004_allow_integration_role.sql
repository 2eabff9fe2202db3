-- CRMs and answering services get keys of their own role, not an admin's.
ALTER TABLE orchestrator.users DROP CONSTRAINT users_role_check;
ALTER TABLE orchestrator.users ADD CONSTRAINT users_role_check CHECK (role IN ('csr', 'manager', 'compliance', 'admin', 'integration'));
