-- Every Twilio callback, stored once. The unique key is what makes capture exactly-once: Twilio may deliver
-- the same callback several times, concurrently; the second insert finds the first and answers as it did.
CREATE TABLE webhooks.inbound_webhooks (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_sid      text        NOT NULL,
    kind              text        NOT NULL,
    route             text        NOT NULL,
    parameters        jsonb       NOT NULL,
    idempotency_token text,
    received_at       timestamptz NOT NULL,
    stored_at         timestamptz NOT NULL DEFAULT now(),
    spooled           boolean     NOT NULL DEFAULT false,
    response_status   integer     NOT NULL,
    response_type     text,
    response_body     text,
    CONSTRAINT inbound_webhooks_once UNIQUE (provider_sid, kind)
);
