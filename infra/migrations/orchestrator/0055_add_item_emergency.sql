-- What made an item an emergency (Items/EmergencyRules.cs): the shop's phrase or the key that matched, and where
-- (transcript, sms, note, keypress, answering-service). Null on every item no rule marked, including items from
-- before this migration and emergency callbacks a CSR opened by hand.
ALTER TABLE orchestrator.recovery_items ADD COLUMN emergency_matched text, ADD COLUMN emergency_source text;
