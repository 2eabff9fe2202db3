-- Retention's delete step (CrmRetention): settled deliveries by when they settled.
CREATE INDEX webhook_deliveries_settled ON orchestrator.webhook_deliveries ((coalesce(delivered_at, last_attempt_at, created_at)))
    WHERE status <> 'pending';
