-- One Twilio message settles at most one SendId: the reconciler can never give the same text to two sends.
CREATE UNIQUE INDEX sms_sends_message_sid ON consent.sms_sends (message_sid) WHERE message_sid IS NOT NULL;
