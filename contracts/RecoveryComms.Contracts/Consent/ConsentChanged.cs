namespace RecoveryComms.Contracts.Consent;

/// <summary>A number's consent on a channel changed (one ledger row). Published by the consent service; the
/// orchestrator stops a recovery at once on <c>opted_out</c> or <c>do_not_contact</c>.</summary>
/// <param name="CorrelationId">Derived from the phone number.</param>
/// <param name="EventId">The ledger row.</param>
/// <param name="Phone">The number in E.164.</param>
/// <param name="Channel"><c>sms</c> or <c>voice</c>.</param>
/// <param name="OldState">The state before (<c>unknown</c> when there was none).</param>
/// <param name="NewState"><c>express</c>, <c>implied</c>, <c>opted_out</c> or <c>do_not_contact</c>.</param>
/// <param name="Source">What changed it: <c>keyword</c>, <c>twilio-opt-out</c>, <c>carrier-error</c>, <c>inbound-call</c>, <c>api</c>.</param>
/// <param name="OccurredAt">When.</param>
public sealed record ConsentChanged(Guid CorrelationId, long EventId, string Phone, string Channel, string OldState, string NewState, string Source, DateTimeOffset OccurredAt);
