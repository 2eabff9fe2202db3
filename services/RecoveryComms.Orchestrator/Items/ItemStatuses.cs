namespace RecoveryComms.Orchestrator.Items;

public static class ItemStatuses
{
    public const string NeedsCallback = "needs-callback";
    public const string InProgress = "in-progress";
    public const string LeftMessage = "left-message";
    public const string WaitingOnCustomer = "waiting-on-customer";
    public const string Completed = "completed";
    public const string Escalated = "escalated";
    public const string Limbo = "limbo";
}
