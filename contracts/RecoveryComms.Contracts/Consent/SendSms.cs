namespace RecoveryComms.Contracts.Consent;

/// <summary>
/// Asks the consent service's send gate to text a number. The gate checks suppression and sends while holding
/// the number's lock, so no text leaves after an opt-out was acknowledged. Answered by <see cref="SmsSendResult"/>.
/// </summary>
/// <param name="CorrelationId">Echoed in the answer (the recovery item, for the orchestrator).</param>
/// <param name="SendId">Idempotency key: a repeated SendId is not sent again.</param>
/// <param name="Phone">The recipient.</param>
/// <param name="Body">The text.</param>
/// <param name="OccurredAt">When it was asked.</param>
public sealed record SendSms(Guid CorrelationId, Guid SendId, string Phone, string Body, DateTimeOffset OccurredAt);
