-- 0031's "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA consent" gave UPDATE and DELETE on
-- consent.ledger_checkpoints back to recoverycomms_app after 0014 had revoked them, and gave them on
-- consent.audit_reads too. Both are evidence that only grows: the service may read and append, never change or
-- remove (a checkpoint's trigger refuses it as well; audit_reads has no trigger, so this grant is all that stands
-- in the way).
-- Note: revoked from every role that holds them, not only recoverycomms_app, so a per-service login granted on the
-- whole schema by a migration before this one loses them too; the owner keeps its rights (it owns the tables).
DO $$
DECLARE
    grantee text;
BEGIN
    FOR grantee IN
        SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END
        FROM pg_class t
        CROSS JOIN LATERAL aclexplode(t.relacl) a
        LEFT JOIN pg_roles r ON r.oid = a.grantee
        WHERE t.oid IN ('consent.ledger_checkpoints'::regclass, 'consent.audit_reads'::regclass)
          AND a.grantee <> t.relowner
          AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON consent.ledger_checkpoints, consent.audit_reads FROM %s', grantee);
    END LOOP;
END $$;
REVOKE UPDATE, DELETE, TRUNCATE ON consent.ledger_checkpoints, consent.audit_reads FROM PUBLIC;
