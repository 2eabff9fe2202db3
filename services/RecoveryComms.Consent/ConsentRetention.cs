using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Consent;

/// <summary>
/// What the consent schema prunes: published outbox rows and old outbox dead letters, nothing else. Note: the
/// consent ledger (append-only, hash-chained, legal evidence), its checkpoints, the audit reads and the SMS sends are
/// what compliance keeps; no step here touches them, and the service's role may not delete ledger rows anyway
/// (0031_grant_app_role.sql).
/// </summary>
public static class ConsentRetention
{
    private const string OutboxSql = """
        DELETE FROM consent.outbox WHERE id IN (
            SELECT id FROM consent.outbox
            WHERE published_at < now() - @Age
            ORDER BY published_at
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED)
        """;

    private const string DeadLettersSql = """
        DELETE FROM consent.outbox_dead_letters WHERE outbox_id IN (
            SELECT outbox_id FROM consent.outbox_dead_letters
            WHERE dead_at < now() - @Age
            ORDER BY dead_at
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED)
        """;

    public static readonly RetentionStep Outbox = new("consent.outbox", OutboxSql, o => o.Outbox);

    public static readonly RetentionStep DeadLetters = new("consent.outbox_dead_letters", DeadLettersSql, o => o.OutboxDeadLetters);

    public static RetentionStep[] Steps => [Outbox, DeadLetters];
}
