-- Least privilege. These migrations run as the role that owns the schema (ConnectionStrings:PostgresMigrations);
-- the service logs in as a member of recoverycomms_app (infra/dev.sh: recoverycomms_service), which may read and
-- write rows but owns nothing, so it can neither alter nor drop a table nor disable a trigger.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'recoverycomms_app') THEN
        CREATE ROLE recoverycomms_app NOLOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA orchestrator TO recoverycomms_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA orchestrator TO recoverycomms_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA orchestrator TO recoverycomms_app;
-- The migration journal is the owner's business.
REVOKE ALL ON orchestrator.schema_versions FROM recoverycomms_app;
-- Tables that later migrations create get the same rights; one that must not be updated revokes them itself.
ALTER DEFAULT PRIVILEGES IN SCHEMA orchestrator GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO recoverycomms_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA orchestrator GRANT USAGE, SELECT ON SEQUENCES TO recoverycomms_app;
