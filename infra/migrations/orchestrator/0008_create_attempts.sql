-- Click-to-call attempts: the CSR's leg rings first, then Twilio bridges to the customer from the shop line.
CREATE TABLE orchestrator.call_attempts (
    id                 uuid        PRIMARY KEY,
    item_id            uuid        NOT NULL REFERENCES orchestrator.recovery_items (id),
    csr_id             uuid        NOT NULL REFERENCES orchestrator.users (id),
    started_at         timestamptz NOT NULL,
    ended_at           timestamptz,
    result             text        NOT NULL DEFAULT 'placing'
                       CHECK (result IN ('placing', 'ringing-csr', 'connecting', 'answered', 'no-answer', 'busy', 'failed', 'canceled',
                                         'csr-unreachable', 'not-placed')),
    counts             boolean     NOT NULL DEFAULT true,  -- false when the customer was never dialled
    csr_call_sid       text        UNIQUE,
    customer_call_sid  text        UNIQUE,
    csr_leg_status     text,
    customer_leg_status text,
    answered_by        text,
    voicemail_left     boolean     NOT NULL DEFAULT false,
    recorded           boolean     NOT NULL DEFAULT false,
    error              text
);

CREATE INDEX call_attempts_by_item ON orchestrator.call_attempts (item_id, started_at);

-- Note: one live attempt per item at a time: a second click while the first still rings is refused by this index.
CREATE UNIQUE INDEX call_attempts_one_live_per_item ON orchestrator.call_attempts (item_id)
    WHERE result IN ('placing', 'ringing-csr', 'connecting');

-- The loop's one SMS. Sent through the consent service's send gate with send_id as its idempotency key.
CREATE TABLE orchestrator.recovery_sms (
    send_id      uuid        PRIMARY KEY,
    item_id      uuid        NOT NULL REFERENCES orchestrator.recovery_items (id),
    requested_by uuid,
    body         text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('requested', 'sent', 'unknown', 'refused', 'failed')),
    reasons      text[]      NOT NULL DEFAULT '{}',
    message_sid  text,
    delivery     text,
    requested_at timestamptz NOT NULL,
    decided_at   timestamptz
);

-- Note: guarantee 3 of the architecture, at most one SMS per loop, held by the database: a refused or failed
-- send leaves nothing behind to count, anything else takes the loop's one slot.
CREATE UNIQUE INDEX recovery_sms_one_per_item ON orchestrator.recovery_sms (item_id) WHERE status NOT IN ('refused', 'failed');
CREATE INDEX recovery_sms_by_message ON orchestrator.recovery_sms (message_sid);
