-- When the reconciler next looks an unsettled send up at Twilio, how often it has, and when the outcome was
-- recorded. decided_at stays the time the SendId was claimed (just before Twilio was called).
ALTER TABLE consent.sms_sends
    ADD COLUMN check_after timestamptz,
    ADD COLUMN checks      integer     NOT NULL DEFAULT 0,
    ADD COLUMN resolved_at timestamptz;

-- The reconciler's queue: only unsettled rows, oldest due first.
CREATE INDEX sms_sends_to_reconcile ON consent.sms_sends (check_after) WHERE status IN ('sending', 'unknown');
