-- Retention deletes published outbox rows by age (WebhookRetention); unpublished rows are not in this index.
CREATE INDEX outbox_published_at ON webhooks.outbox (published_at) WHERE published_at IS NOT NULL;
