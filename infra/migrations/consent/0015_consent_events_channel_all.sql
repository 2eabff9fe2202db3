-- A number's flags (wrong number, spam) suppress every channel, and setting or clearing one is a ledger row
-- with its actor: such rows use channel 'all' (Ledger/NumberFlagChanges.cs). consent_state keeps sms and voice only.
ALTER TABLE consent.consent_events DROP CONSTRAINT consent_events_channel_check;
ALTER TABLE consent.consent_events ADD CONSTRAINT consent_events_channel_check CHECK (channel IN ('sms', 'voice', 'all'));
