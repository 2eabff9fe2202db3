-- Retention empties a CRM delivery's body once the delivery has settled (CrmRetention); the row stays as the log.
-- A pending delivery keeps its body: every retry sends, and signs, the exact bytes of the first attempt.
ALTER TABLE orchestrator.webhook_deliveries ALTER COLUMN body DROP NOT NULL;
ALTER TABLE orchestrator.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_body_while_pending CHECK (body IS NOT NULL OR status <> 'pending');
