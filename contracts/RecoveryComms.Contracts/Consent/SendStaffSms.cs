namespace RecoveryComms.Contracts.Consent;

/// <summary>
/// Asks the consent service's send gate to text a staff alert to a staff member's own phone. Sent by the
/// orchestrator when <c>Recovery__AlertStaffBySms</c> is on. The gate treats it as a staff message: the number's
/// opt-out (a STOP from that phone), do-not-contact and flags and the shop's A2P registration apply as to any text;
/// customer consent and quiet hours do not (the person asked for alerts by giving the number for them). Sent once
/// per SendId, like <see cref="SendSms"/>. Answered by <see cref="SmsSendResult"/>.
/// </summary>
/// <param name="CorrelationId">Echoed in the answer (the recovery item).</param>
/// <param name="SendId">Idempotency key: one per alert, so asking again never sends again.</param>
/// <param name="Phone">The staff member's phone.</param>
/// <param name="Body">The alert's text (no customer number in it).</param>
/// <param name="OccurredAt">When it was asked.</param>
/// <param name="Signature">The orchestrator's signature over the other fields (its key-event key, docs/consent.md): a
/// staff message skips customer consent and quiet hours, so the gate sends none that anyone else with broker
/// credentials published.</param>
public sealed record SendStaffSms(Guid CorrelationId, Guid SendId, string Phone, string Body, DateTimeOffset OccurredAt, string? Signature = null);
