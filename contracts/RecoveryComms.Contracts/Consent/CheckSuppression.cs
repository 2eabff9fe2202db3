namespace RecoveryComms.Contracts.Consent;

/// <summary>Asks the consent service whether the shop may contact a number on a channel now. Answered by <see cref="SuppressionDecision"/>.</summary>
/// <param name="CorrelationId">Echoed in the answer.</param>
/// <param name="Phone">The number, any common format.</param>
/// <param name="Channel"><c>sms</c> or <c>voice</c>.</param>
/// <param name="OccurredAt">When the question was asked.</param>
public sealed record CheckSuppression(Guid CorrelationId, string Phone, string Channel, DateTimeOffset OccurredAt);
