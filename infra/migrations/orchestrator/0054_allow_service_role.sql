-- A service credential (role service): the only key the consent service's "services" routes (GET /api/suppression,
-- GET /api/contacts/resolve) answer, and no staff route accepts.
ALTER TABLE orchestrator.users DROP CONSTRAINT users_role_check;
ALTER TABLE orchestrator.users ADD CONSTRAINT users_role_check CHECK (role IN ('csr', 'manager', 'compliance', 'admin', 'integration', 'service'));
