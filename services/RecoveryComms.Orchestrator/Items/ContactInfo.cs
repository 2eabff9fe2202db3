namespace RecoveryComms.Orchestrator.Items;

/// <summary>Who a caller is: the consent service's contact key, so all numbers of one customer merge.</summary>
public sealed record ContactInfo(string ContactKey, Guid? AccountId, string? AccountName);
