-- The recovery queue: one row per thing the shop must call back (a missed, abandoned or voicemail call, or a
-- callback promised by other means). Rows are never deleted; a disposition completes them.
CREATE TABLE orchestrator.recovery_items (
    id                   uuid        PRIMARY KEY,
    type                 text        NOT NULL CHECK (type IN ('missed-call', 'abandoned', 'voicemail', 'emergency', 'promised-update',
                                                              'warranty', 'post-job', 'estimate', 'after-hours-request')),
    status               text        NOT NULL CHECK (status IN ('needs-callback', 'in-progress', 'left-message', 'waiting-on-customer',
                                                                'completed', 'escalated', 'limbo')),
    phone                text,                        -- E.164; null when the caller withheld the number
    contact_key          text        NOT NULL,        -- one customer (consent's contact resolution), or the call for withheld callers
    account_id           uuid,
    account_name         text,
    shop_line            text,
    occurrences          integer     NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL,        -- the first call: a merged repeat keeps the item's place
    clock_starts_at      timestamptz NOT NULL,        -- after hours: the next opening
    first_attempt_due_at timestamptz NOT NULL,
    sla_due_at           timestamptz NOT NULL,
    due_at               timestamptz,                 -- promised and scheduled callbacks
    priority             smallint    NOT NULL,        -- queue band by type (0 = emergency first)
    sort_at              timestamptz NOT NULL,        -- order within the band
    primary_owner_id     uuid        REFERENCES orchestrator.users (id),
    backup_owner_id      uuid        REFERENCES orchestrator.users (id),
    claimed_at           timestamptz,
    attempts             integer     NOT NULL DEFAULT 0,
    first_attempt_at     timestamptz,
    sms_sent             boolean     NOT NULL DEFAULT false,
    voicemail_left       boolean     NOT NULL DEFAULT false,
    transcript           text,
    recording_sid        text,
    recording_url        text,
    after_hours          boolean     NOT NULL,
    cannot_call_back     boolean     NOT NULL DEFAULT false,
    short_abandon        boolean     NOT NULL DEFAULT false,
    backup_triggered_at  timestamptz,
    escalated_at         timestamptz,
    customer_replied_at  timestamptz,
    next_check_at        timestamptz,                 -- limbo: when someone must look again
    eod_flagged_at       timestamptz,                 -- listed at close as needing a decision
    outcome              text,
    reason               text,
    note                 text,
    reschedule_at        timestamptz,
    disposed_at          timestamptz,
    disposed_by          uuid,
    original_job_number  text,
    tech_name            text,
    job_type             text,
    details              text,
    version              integer     NOT NULL DEFAULT 1,
    updated_at           timestamptz NOT NULL,
    CHECK ((status = 'completed') = (outcome IS NOT NULL))
);

-- Note: guarantee 2 of the architecture: one open call-recovery per customer. The intake serialises on the
-- contact first (advisory lock); this index is the backstop that makes a second open item impossible.
CREATE UNIQUE INDEX recovery_items_one_open_call_per_contact ON orchestrator.recovery_items (contact_key)
    WHERE status <> 'completed' AND type IN ('missed-call', 'abandoned', 'voicemail');

-- The queue views read open items in priority order; these keep them index scans at a million rows.
CREATE INDEX recovery_items_open_queue ON orchestrator.recovery_items (priority, sort_at, id) WHERE status <> 'completed';
-- The abandoned and voicemail views show the last 24 hours: a few hundred rows to sort, found by age. Note: an index
-- whose predicate names the type is what the planner reliably picks (measured in docs/benchmarks.md).
CREATE INDEX recovery_items_open_abandoned ON orchestrator.recovery_items (created_at) WHERE status <> 'completed' AND type = 'abandoned';
CREATE INDEX recovery_items_open_voicemail ON orchestrator.recovery_items (created_at) WHERE status <> 'completed' AND type = 'voicemail';
CREATE INDEX recovery_items_open_by_status ON orchestrator.recovery_items (status, priority, sort_at, id) WHERE status <> 'completed';
CREATE INDEX recovery_items_open_after_hours ON orchestrator.recovery_items (priority, sort_at, id) WHERE status <> 'completed' AND after_hours;
CREATE INDEX recovery_items_open_by_primary ON orchestrator.recovery_items (primary_owner_id, priority, sort_at, id) WHERE status <> 'completed';
CREATE INDEX recovery_items_open_by_backup ON orchestrator.recovery_items (backup_owner_id, priority, sort_at, id) WHERE status <> 'completed';
CREATE INDEX recovery_items_by_created ON orchestrator.recovery_items (created_at);
CREATE INDEX recovery_items_open_by_phone ON orchestrator.recovery_items (phone) WHERE status <> 'completed';
CREATE INDEX recovery_items_open_by_contact ON orchestrator.recovery_items (contact_key) WHERE status <> 'completed';

-- Every call merged into an item. Unique per call and kind, so a redelivered event changes nothing.
CREATE TABLE orchestrator.recovery_occurrences (
    call_sid    text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('missed', 'abandoned', 'voicemail', 'transcription', 'callback')),
    item_id     uuid        NOT NULL REFERENCES orchestrator.recovery_items (id),
    caller      text,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (call_sid, kind)
);

CREATE INDEX recovery_occurrences_by_item ON orchestrator.recovery_occurrences (item_id, occurred_at);
