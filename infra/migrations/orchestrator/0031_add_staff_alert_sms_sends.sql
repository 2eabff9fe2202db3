-- A staff alert's SMS as a durable send (Alerts/StaffAlerts.cs): the claim records where and when it was sent from,
-- and when the reconciler looks at it if its attempt never recorded an outcome (a crash after the claim, a lost
-- Twilio answer). sms_status: null (no SMS wanted), 'pending', 'sending' (claimed), 'unknown' (Twilio's answer was
-- lost), then 'sent <sid>' or 'failed: …'. sms_sends counts creates, so a text Twilio never lists is re-sent a
-- bounded number of times.
ALTER TABLE orchestrator.staff_alerts
    ADD COLUMN sms_phone       text,
    ADD COLUMN sms_from        text,
    ADD COLUMN sms_claimed_at  timestamptz,
    ADD COLUMN sms_check_after timestamptz,
    ADD COLUMN sms_sid         text,
    ADD COLUMN sms_sends       integer NOT NULL DEFAULT 0;

-- Note: the reconciler's work list: only claims whose outcome is still open carry a check time.
CREATE INDEX staff_alerts_sms_due ON orchestrator.staff_alerts (sms_check_after) WHERE sms_check_after IS NOT NULL;
