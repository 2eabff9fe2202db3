-- Retention's body step (CrmRetention): settled deliveries that still hold a body, by when they settled. A row
-- leaves this index when its body is emptied, so each run reads only what is due.
CREATE INDEX webhook_deliveries_settled_body ON orchestrator.webhook_deliveries ((coalesce(delivered_at, last_attempt_at, created_at)))
    WHERE status <> 'pending' AND body IS NOT NULL;
