namespace RecoveryComms.Contracts.Consent;

/// <summary>The consent service's answer to <see cref="CheckSuppression"/>.</summary>
/// <param name="CorrelationId">From the question.</param>
/// <param name="Phone">The number in E.164 (or as given when it is not a number).</param>
/// <param name="Channel"><c>sms</c> or <c>voice</c>.</param>
/// <param name="Allowed">True when nothing stands in the way right now.</param>
/// <param name="Reasons">Why not, as stable codes: <c>opted-out</c>, <c>do-not-contact</c>, <c>wrong-number</c>, <c>spam</c>, <c>a2p-not-registered</c>, <c>no-consent</c>, <c>quiet-hours</c>, <c>zone-unknown</c> (no time zone is known for the number, so quiet hours cannot be checked), <c>anonymous</c>, <c>invalid-number</c>, and <c>invalid-channel</c> for a request on a channel other than sms or voice.</param>
/// <param name="OccurredAt">When it was decided.</param>
public sealed record SuppressionDecision(Guid CorrelationId, string Phone, string Channel, bool Allowed, IReadOnlyList<string> Reasons, DateTimeOffset OccurredAt);
