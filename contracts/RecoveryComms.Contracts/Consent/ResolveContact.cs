namespace RecoveryComms.Contracts.Consent;

/// <summary>
/// Asks the consent service who a number belongs to, so the orchestrator merges calls from one customer's
/// numbers into one recovery. Answered by <see cref="ContactResolved"/>.
/// </summary>
/// <param name="CorrelationId">Echoed in the answer.</param>
/// <param name="Phone">The number, E.164.</param>
/// <param name="OccurredAt">When the question was asked.</param>
public sealed record ResolveContact(Guid CorrelationId, string Phone, DateTimeOffset OccurredAt);
