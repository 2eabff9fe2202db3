-- Every SMS the gate was asked to send, with the decision and Twilio's answer.
CREATE TABLE consent.sms_sends (
    id          uuid        PRIMARY KEY,
    phone       text        NOT NULL,
    body        text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('refused', 'sent', 'failed')),
    reasons     text[]      NOT NULL DEFAULT '{}',
    message_sid text,
    error_code  integer,
    decided_at  timestamptz NOT NULL
);

CREATE INDEX sms_sends_by_phone ON consent.sms_sends (phone, decided_at);
