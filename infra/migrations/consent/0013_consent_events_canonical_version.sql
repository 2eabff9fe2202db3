-- Which canonical form a row's hash covers (Ledger/ConsentLedger.cs). Version 1 joined the fields with a unit
-- separator and wrote null as '', so text could move between fields, and null and '' hashed alike. Version 2
-- length-prefixes every field and marks null apart from ''. Rows written before this migration keep version 1
-- and stay verifiable; the service writes version 2 from now on, and verify refuses a version 1 row after a
-- version 2 one. No default: every insert names its version. (Adding a column fires no row trigger.)
ALTER TABLE consent.consent_events ADD COLUMN canonical_version integer NOT NULL DEFAULT 1 CHECK (canonical_version IN (1, 2));
ALTER TABLE consent.consent_events ALTER COLUMN canonical_version DROP DEFAULT;
