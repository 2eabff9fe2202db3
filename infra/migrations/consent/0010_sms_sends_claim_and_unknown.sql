-- The send gate claims a SendId in a committed 'sending' row before it calls Twilio (the primary key then
-- guarantees one attempt per SendId, whatever happens to the attempt), and records 'unknown' when Twilio may
-- or may not have accepted the text (network error, timeout or 5xx after the request left). The reconciler
-- settles 'sending' and 'unknown' rows to 'sent' or 'failed' by listing Twilio's messages, never by resending.
ALTER TABLE consent.sms_sends DROP CONSTRAINT sms_sends_status_check;
ALTER TABLE consent.sms_sends ADD CONSTRAINT sms_sends_status_check
    CHECK (status IN ('sending', 'refused', 'sent', 'failed', 'unknown'));
