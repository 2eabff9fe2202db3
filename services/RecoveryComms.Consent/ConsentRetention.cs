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
    public static readonly RetentionStep Outbox = OutboxRetention.Published("consent");

    public static readonly RetentionStep DeadLetters = OutboxRetention.DeadLetters("consent");

    public static RetentionStep[] Steps => [Outbox, DeadLetters];
}
