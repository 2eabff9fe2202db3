namespace RecoveryComms.Contracts.Consent;

/// <summary>The send gate's answer to <see cref="SendSms"/>.</summary>
/// <param name="CorrelationId">From the request.</param>
/// <param name="SendId">From the request.</param>
/// <param name="Status"><c>sent</c>, <c>refused</c> (see <paramref name="Reasons"/>) or <c>failed</c> (Twilio refused).</param>
/// <param name="Reasons">Suppression reasons when refused, Twilio's error when failed.</param>
/// <param name="MessageSid">Twilio's id when sent.</param>
/// <param name="OccurredAt">When it was decided.</param>
public sealed record SmsSendResult(Guid CorrelationId, Guid SendId, string Status, IReadOnlyList<string> Reasons, string? MessageSid, DateTimeOffset OccurredAt);
