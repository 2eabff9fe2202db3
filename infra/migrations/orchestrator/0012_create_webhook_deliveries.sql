-- One row per event and subscription: the durable outbox of outbound webhooks and their delivery log.
-- Written in the transaction of the item change it reports, sent afterwards by WebhookDispatcher.
CREATE TABLE orchestrator.webhook_deliveries (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id       uuid        NOT NULL REFERENCES orchestrator.webhook_subscriptions (id),
    event_id         uuid        NOT NULL,
    event_type       text        NOT NULL,
    -- Note: text, not jsonb. jsonb would reorder keys and drop white space, and the signature covers the exact
    -- bytes: every retry must send the body the first attempt sent.
    body             text        NOT NULL,
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts         integer     NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    -- Retried until then (24 hours after creation by default), then failed.
    expires_at       timestamptz NOT NULL,
    -- Set while pending; null once the delivery is settled.
    next_attempt_at  timestamptz,
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text,
    delivered_at     timestamptz,
    -- One delivery of an event per subscription, however the caller retries its transaction.
    UNIQUE (webhook_id, event_id)
);

-- The dispatcher's claim: pending rows by due time.
CREATE INDEX webhook_deliveries_due ON orchestrator.webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- The delivery log, newest first, per subscription.
CREATE INDEX webhook_deliveries_by_webhook ON orchestrator.webhook_deliveries (webhook_id, id DESC);

-- Wakes the dispatchers at commit. Row level: PostgreSQL folds identical notifications of one transaction into
-- one, and a statement that inserted nothing (nobody subscribes) sends none.
CREATE FUNCTION orchestrator.notify_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('orchestrator_webhooks', '');
    RETURN NULL;
END $$;

CREATE TRIGGER webhook_deliveries_notify AFTER INSERT ON orchestrator.webhook_deliveries
    FOR EACH ROW EXECUTE FUNCTION orchestrator.notify_webhook_deliveries();
