using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Orchestrator.Integrations;

/// <summary>
/// What the orchestrator's schema prunes: published outbox rows, old outbox dead letters, and the CRM delivery log
/// (the body emptied a while after the delivery settled, the row with its status, attempts and last error kept as
/// the log much longer). Items, their timelines, attempts and users are the shop's records and stay.
/// </summary>
public static class CrmRetention
{
    private const string OutboxSql = """
        DELETE FROM orchestrator.outbox WHERE id IN (
            SELECT id FROM orchestrator.outbox
            WHERE published_at < now() - @Age
            ORDER BY published_at
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED)
        """;

    private const string DeadLettersSql = """
        DELETE FROM orchestrator.outbox_dead_letters WHERE outbox_id IN (
            SELECT outbox_id FROM orchestrator.outbox_dead_letters
            WHERE dead_at < now() - @Age
            ORDER BY dead_at
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED)
        """;

    // Note: a delivery's times come from the service's clock (WebhookStore writes them), so they are compared with
    // @Now, not the database's now(). Settled means delivered, failed or cancelled: a pending row is never touched,
    // since every retry must send the exact bytes the first attempt signed. The expression matches the indexes of
    // 0042 and 0043.
    private const string CrmBodiesSql = """
        UPDATE orchestrator.webhook_deliveries SET body = NULL WHERE id IN (
            SELECT id FROM orchestrator.webhook_deliveries
            WHERE status <> 'pending' AND body IS NOT NULL
              AND coalesce(delivered_at, last_attempt_at, created_at) < @Now - @Age
            ORDER BY coalesce(delivered_at, last_attempt_at, created_at)
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED)
        """;

    private const string CrmDeliveriesSql = """
        DELETE FROM orchestrator.webhook_deliveries WHERE id IN (
            SELECT id FROM orchestrator.webhook_deliveries
            WHERE status <> 'pending'
              AND coalesce(delivered_at, last_attempt_at, created_at) < @Now - @Age
            ORDER BY coalesce(delivered_at, last_attempt_at, created_at)
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED)
        """;

    public static readonly RetentionStep Outbox = new("orchestrator.outbox", OutboxSql, o => o.Outbox);

    public static readonly RetentionStep DeadLetters = new("orchestrator.outbox_dead_letters", DeadLettersSql, o => o.OutboxDeadLetters);

    public static readonly RetentionStep CrmDeliveries = new("orchestrator.webhook_deliveries", CrmDeliveriesSql, o => o.CrmDeliveries);

    public static readonly RetentionStep CrmBodies = new("orchestrator.webhook_deliveries.body", CrmBodiesSql, o => o.CrmBodies);

    // Old rows are deleted before bodies are emptied, so a row about to go is not rewritten first.
    public static RetentionStep[] Steps => [Outbox, DeadLetters, CrmDeliveries, CrmBodies];
}
