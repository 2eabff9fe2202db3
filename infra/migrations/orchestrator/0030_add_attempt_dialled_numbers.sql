-- The numbers a click-to-call was placed between (the CSR's phone and the shop line), kept on the attempt so that
-- the settle timer can find the call in Twilio's call list when its SID was never stored (a crash, a lost answer).
-- Null on attempts from before this migration; those are settled without a list look-up.
ALTER TABLE orchestrator.call_attempts ADD COLUMN csr_phone text, ADD COLUMN shop_line text;
