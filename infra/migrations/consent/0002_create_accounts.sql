-- Customer accounts from the CRM and their phone numbers: the basis of duplicate merging (all numbers of one
-- account resolve to one contact key). A number belongs to at most one account.
CREATE TABLE consent.accounts (
    id           uuid        PRIMARY KEY,
    external_ref text        NOT NULL UNIQUE,
    name         text        NOT NULL,
    time_zone    text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE TABLE consent.account_phones (
    phone      text PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES consent.accounts (id)
);

CREATE INDEX account_phones_by_account ON consent.account_phones (account_id);
