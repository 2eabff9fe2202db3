using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Orchestrator.Integrations;

/// <summary>
/// What the orchestrator's schema prunes: published outbox rows, old outbox dead letters, and the CRM delivery log
/// (the body emptied a while after the delivery settled, the row with its status, attempts and last error kept as
/// the log much longer; the statements are <see cref="WebhookStore"/>'s). Items, their timelines, attempts and users
/// are the shop's records and stay.
/// </summary>
public static class CrmRetention
{
    public static readonly RetentionStep Outbox = OutboxRetention.Published("orchestrator");

    public static readonly RetentionStep DeadLetters = OutboxRetention.DeadLetters("orchestrator");

    public static readonly RetentionStep CrmDeliveries = new("orchestrator.webhook_deliveries", WebhookStore.DeleteSettledDeliveriesSql, o => o.CrmDeliveries);

    public static readonly RetentionStep CrmBodies = new("orchestrator.webhook_deliveries.body", WebhookStore.EmptySettledBodiesSql, o => o.CrmBodies);

    // Old rows are deleted before bodies are emptied, so a row about to go is not rewritten first.
    public static RetentionStep[] Steps => [Outbox, DeadLetters, CrmDeliveries, CrmBodies];
}
