namespace RecoveryComms.Orchestrator.Integrations;

/// <summary>The event types a CRM can subscribe to (contract, "Outbound webhooks").</summary>
public static class CrmEvents
{
    public const string Created = "recovery.created";
    public const string Claimed = "recovery.claimed";
    public const string Attempt = "recovery.attempt";
    public const string Sms = "recovery.sms";
    public const string Escalated = "recovery.escalated";
    public const string Disposed = "recovery.disposed";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        Created, Claimed, Attempt, Sms, Escalated, Disposed,
    };
}
