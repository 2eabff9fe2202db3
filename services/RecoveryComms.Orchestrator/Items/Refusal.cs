namespace RecoveryComms.Orchestrator.Items;

/// <summary>Why an action on an item was refused, as the API answers it.</summary>
public sealed record Refusal(int Status, string Type, string Title, string? Detail = null, IReadOnlyList<string>? Reasons = null);
