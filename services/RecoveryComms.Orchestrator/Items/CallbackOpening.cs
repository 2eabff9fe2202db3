namespace RecoveryComms.Orchestrator.Items;

/// <summary>What a promised callback is opened with (<c>POST /api/callbacks</c>, or a reschedule), checked by the caller.</summary>
public sealed record CallbackOpening(
    string Type, string? Phone, string? ShopLine, DateTimeOffset? DueAt, string? OriginalJobNumber, string? TechName, string? JobType, string? Details);
