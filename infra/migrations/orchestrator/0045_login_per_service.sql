-- One login per service (issue 15, docs/security.md). Until now every service logged in as a member of
-- recoverycomms_app, which could read and write all three schemas: a foothold in one service reached the others'
-- rows. From here the orchestrator schema's rows belong to the group recoverycomms_orchestrator_app alone (the orchestrator
-- service's login, infra/dev.sh: recoverycomms_orchestrator), with exactly the rights recoverycomms_app had on each of
-- them, and recoverycomms_app keeps nothing here. The migrations run as the schema's owner; dev.sh creates the
-- group before them (the owner may not create roles), tests migrate as a superuser, so both paths are covered.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'recoverycomms_orchestrator_app') THEN
        CREATE ROLE recoverycomms_orchestrator_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'recoverycomms_app') THEN
        CREATE ROLE recoverycomms_app NOLOGIN;
    END IF;
END $$;

GRANT USAGE ON SCHEMA orchestrator TO recoverycomms_orchestrator_app;

-- The same rights, table by table and sequence by sequence (a table that revoked UPDATE or DELETE stays so).
DO $$
DECLARE o record;
BEGIN
    FOR o IN
        SELECT c.relname, c.relkind, string_agg(DISTINCT a.privilege_type, ', ') AS privileges
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        CROSS JOIN LATERAL aclexplode(c.relacl) a
        WHERE n.nspname = 'orchestrator' AND c.relkind IN ('r', 'p', 'v', 'S')
          AND a.grantee = 'recoverycomms_app'::regrole
        GROUP BY c.relname, c.relkind
    LOOP
        EXECUTE format('GRANT %s ON %s orchestrator.%I TO recoverycomms_orchestrator_app',
            o.privileges, CASE o.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, o.relname);
    END LOOP;
END $$;

REVOKE ALL ON ALL TABLES IN SCHEMA orchestrator FROM recoverycomms_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA orchestrator FROM recoverycomms_app;
REVOKE ALL ON SCHEMA orchestrator FROM recoverycomms_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA orchestrator REVOKE ALL ON TABLES FROM recoverycomms_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA orchestrator REVOKE ALL ON SEQUENCES FROM recoverycomms_app;
-- Tables that later migrations create get the same rights; one that must not be updated revokes them itself.
ALTER DEFAULT PRIVILEGES IN SCHEMA orchestrator GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO recoverycomms_orchestrator_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA orchestrator GRANT USAGE, SELECT ON SEQUENCES TO recoverycomms_orchestrator_app;

-- The service reads the journal (never writes it) to refuse to serve a schema older than its code.
GRANT SELECT ON orchestrator.schema_versions TO recoverycomms_orchestrator_app;
