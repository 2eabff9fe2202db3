-- One login per service (issue 15, docs/security.md). Until now every service logged in as a member of
-- recoverycomms_app, which could read and write all three schemas: a foothold in one service reached the others'
-- rows. From here the consent schema's rows belong to the group recoverycomms_consent_app alone (the consent
-- service's login, infra/dev.sh: recoverycomms_consent), with exactly the rights recoverycomms_app had on each of
-- them, and recoverycomms_app keeps nothing here. The migrations run as the schema's owner; dev.sh creates the
-- group before them (the owner may not create roles), tests migrate as a superuser, so both paths are covered.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'recoverycomms_consent_app') THEN
        CREATE ROLE recoverycomms_consent_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'recoverycomms_app') THEN
        CREATE ROLE recoverycomms_app NOLOGIN;
    END IF;
END $$;

GRANT USAGE ON SCHEMA consent TO recoverycomms_consent_app;

-- The same rights, table by table and sequence by sequence (a table that revoked UPDATE or DELETE stays so).
DO $$
DECLARE o record;
BEGIN
    FOR o IN
        SELECT c.relname, c.relkind, string_agg(DISTINCT a.privilege_type, ', ') AS privileges
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        CROSS JOIN LATERAL aclexplode(c.relacl) a
        WHERE n.nspname = 'consent' AND c.relkind IN ('r', 'p', 'v', 'S')
          AND a.grantee = 'recoverycomms_app'::regrole
        GROUP BY c.relname, c.relkind
    LOOP
        EXECUTE format('GRANT %s ON %s consent.%I TO recoverycomms_consent_app',
            o.privileges, CASE o.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, o.relname);
    END LOOP;
END $$;

-- The ledger, its checkpoints and the audit trail of who read it only grow (0003, 0005, 0014; 0031 had granted
-- UPDATE and DELETE on the last two again).
REVOKE UPDATE, DELETE, TRUNCATE ON consent.consent_events, consent.ledger_checkpoints, consent.audit_reads FROM recoverycomms_consent_app;

REVOKE ALL ON ALL TABLES IN SCHEMA consent FROM recoverycomms_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA consent FROM recoverycomms_app;
REVOKE ALL ON SCHEMA consent FROM recoverycomms_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA consent REVOKE ALL ON TABLES FROM recoverycomms_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA consent REVOKE ALL ON SEQUENCES FROM recoverycomms_app;
-- Tables that later migrations create get the same rights; one that must not be updated revokes them itself.
ALTER DEFAULT PRIVILEGES IN SCHEMA consent GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO recoverycomms_consent_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA consent GRANT USAGE, SELECT ON SEQUENCES TO recoverycomms_consent_app;

-- The service reads the journal (never writes it) to refuse to serve a schema older than its code.
GRANT SELECT ON consent.schema_versions TO recoverycomms_consent_app;
