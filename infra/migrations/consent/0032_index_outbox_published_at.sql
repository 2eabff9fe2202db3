-- Retention deletes published outbox rows by age (ConsentRetention); unpublished rows are not in this index.
CREATE INDEX outbox_published_at ON consent.outbox (published_at) WHERE published_at IS NOT NULL;
