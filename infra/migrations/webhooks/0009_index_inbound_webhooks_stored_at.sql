-- Retention deletes raw webhooks by age (WebhookRetention); this keeps each batch an index range, not a table scan.
CREATE INDEX inbound_webhooks_stored_at ON webhooks.inbound_webhooks (stored_at);
