-- Who read the audit API, what and when: reading consent evidence is itself evidence.
CREATE TABLE consent.audit_reads (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reader_id   text        NOT NULL,
    reader_name text        NOT NULL,
    route       text        NOT NULL,
    query       text        NOT NULL,
    read_at     timestamptz NOT NULL
);
