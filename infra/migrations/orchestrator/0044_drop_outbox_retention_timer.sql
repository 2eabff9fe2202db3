-- The outbox is pruned by the retention worker now (CrmRetention, the Retention section), not by a shop timer, so
-- the timer of that kind goes. Should a replica of the older version, still running, arm it again, TimerWorker here
-- drops it on its next due time (a kind with no handler is logged once and deleted, never retried).
DELETE FROM orchestrator.timers WHERE kind = 'outbox-retention' AND item_id IS NULL;
