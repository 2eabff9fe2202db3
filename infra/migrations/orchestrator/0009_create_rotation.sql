-- Who owns new items, by shop-local weekday (1 = Monday … 7 = Sunday, ISO): the dispatcher on duty (primary),
-- the backup who takes an item nobody touched within the first-attempt target, and the manager it escalates to.
CREATE TABLE orchestrator.rotation (
    weekday          smallint    PRIMARY KEY CHECK (weekday BETWEEN 1 AND 7),
    primary_user_id  uuid        REFERENCES orchestrator.users (id),
    backup_user_id   uuid        REFERENCES orchestrator.users (id),
    manager_user_id  uuid        REFERENCES orchestrator.users (id),
    updated_at       timestamptz NOT NULL,
    updated_by       text        NOT NULL
);

-- Staff alerts (backup trigger, escalation): at most one per item and trigger.
CREATE TABLE orchestrator.staff_alerts (
    item_id    uuid        NOT NULL REFERENCES orchestrator.recovery_items (id),
    trigger    text        NOT NULL,
    user_id    uuid        REFERENCES orchestrator.users (id),
    sent_at    timestamptz NOT NULL,
    channel    text        NOT NULL,
    detail     text,
    sms_status text,            -- null: no SMS wanted; 'pending', 'sending', then 'sent' or 'failed: …'
    PRIMARY KEY (item_id, trigger)
);
