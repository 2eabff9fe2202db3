namespace RecoveryComms.Contracts.Capture;

/// <summary>
/// A caller reached the shop line and nobody answered: the ring group did not pick up (no-answer, busy,
/// failed) or the call came in after hours. Published by the webhooks service, once per call.
/// </summary>
/// <param name="CorrelationId">The same for every event of this call (derived from <paramref name="CallSid"/>).</param>
/// <param name="CallSid">Twilio's id of the inbound call.</param>
/// <param name="Caller">The caller in E.164, or Twilio's raw value when withheld (see <paramref name="CallerWithheld"/>).</param>
/// <param name="CallerWithheld">True when the caller ID was anonymous or restricted: nobody can call or text it back.</param>
/// <param name="ShopLine">The shop number that was called, E.164.</param>
/// <param name="AfterHours">True when the call came in outside business hours.</param>
/// <param name="Reason">Why it counts as missed: <c>after-hours</c>; <c>no-ring-group</c> (in hours with an empty ring group, so nobody was dialled); or the <c>DialCallStatus</c> of the ring group, <c>no-answer</c>, <c>busy</c>, <c>failed</c> or <c>canceled</c>.</param>
/// <param name="OccurredAt">When the miss was known (Twilio's callback time, else receipt).</param>
public sealed record MissedCallCaptured(
    Guid CorrelationId,
    string CallSid,
    string Caller,
    bool CallerWithheld,
    string ShopLine,
    bool AfterHours,
    string Reason,
    DateTimeOffset OccurredAt);
