-- Reason codes for dispositions: the contract's, plus those managers add.
CREATE TABLE orchestrator.disposition_reasons (
    code       text        PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,40}$'),
    label      text        NOT NULL,
    built_in   boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text        NOT NULL DEFAULT 'system'
);

INSERT INTO orchestrator.disposition_reasons (code, label, built_in) VALUES
    ('after-hours-overflow', 'After-hours overflow', true),
    ('price-shopper', 'Price shopper', true),
    ('chose-competitor', 'Chose a competitor', true),
    ('out-of-area', 'Out of service area', true),
    ('mailbox-full', 'Voicemail box full', true),
    ('emergency-resolved', 'Emergency already resolved', true),
    ('warranty-installer', 'Warranty: installer''s responsibility', true);
