namespace RecoveryComms.Contracts.Capture;

/// <summary>
/// A leg of an outbound click-to-call attempt changed status. Published by the webhooks service once per
/// (call, status); <paramref name="SequenceNumber"/> orders them, since Twilio may deliver them out of order.
/// </summary>
/// <param name="CorrelationId">Derived from <paramref name="CallSid"/>.</param>
/// <param name="CallSid">The leg's call id.</param>
/// <param name="ParentCallSid">The leg that created it, for the customer leg of a bridge.</param>
/// <param name="Status">Twilio's <c>CallStatus</c>.</param>
/// <param name="SequenceNumber">Twilio's event order for this call, when sent.</param>
/// <param name="DurationSeconds">The leg's duration on terminal statuses.</param>
/// <param name="AnsweredBy">Machine-detection result, when enabled.</param>
/// <param name="ShopLine">The shop line the leg came from (Twilio's <c>From</c>), E.164, when Twilio sent it.</param>
/// <param name="AfterHours">True when the event happened outside business hours.</param>
/// <param name="OccurredAt">Twilio's timestamp of the event, else receipt.</param>
/// <param name="AttemptId">The orchestrator's attempt, from the <c>attempt</c> query parameter of the status callback URL it
/// gave Twilio (the CSR's leg only), so a report matches its attempt even when the call's SID was never stored; null
/// for the customer's leg and for reports from before the parameter existed. Added last with a default, so older
/// messages still read.</param>
public sealed record CallbackAttemptStatusReported(
    Guid CorrelationId,
    string CallSid,
    string? ParentCallSid,
    string Status,
    int? SequenceNumber,
    int? DurationSeconds,
    string? AnsweredBy,
    string? ShopLine,
    bool AfterHours,
    DateTimeOffset OccurredAt,
    Guid? AttemptId = null);
