-- Durable timers. A timer is claimed with FOR UPDATE SKIP LOCKED and deleted in the same transaction as its
-- effect, so it fires once across any number of replicas and survives restarts. item_id is null for the shop's
-- own timers (end of day, outbox retention).
CREATE TABLE orchestrator.timers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text        NOT NULL,
    item_id    uuid        REFERENCES orchestrator.recovery_items (id),
    due_at     timestamptz NOT NULL,
    failures   integer     NOT NULL DEFAULT 0,
    last_error text
);

-- One pending timer of a kind per item (and one shop timer of a kind), so re-arming replaces instead of adding.
CREATE UNIQUE INDEX timers_one_per_item_and_kind ON orchestrator.timers (item_id, kind) WHERE item_id IS NOT NULL;
CREATE UNIQUE INDEX timers_one_shop_timer_per_kind ON orchestrator.timers (kind) WHERE item_id IS NULL;
CREATE INDEX timers_due ON orchestrator.timers (due_at);
