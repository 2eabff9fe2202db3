namespace RecoveryComms.Contracts.Capture;

/// <summary>
/// The caller hung up before anyone answered (during the greeting or while the ring group was ringing).
/// Published by the webhooks service, once per call, from the call's final status callback.
/// </summary>
/// <param name="CorrelationId">The same for every event of this call.</param>
/// <param name="CallSid">Twilio's id of the inbound call.</param>
/// <param name="Caller">The caller in E.164, or Twilio's raw value when withheld.</param>
/// <param name="CallerWithheld">True when the caller ID was anonymous or restricted.</param>
/// <param name="ShopLine">The shop number that was called, E.164.</param>
/// <param name="AfterHours">True when the call came in outside business hours.</param>
/// <param name="DurationSeconds">How long the call lasted (Twilio's <c>CallDuration</c>).</param>
/// <param name="IsShortAbandon">True when shorter than the configured threshold: often a pocket dial, but still queued.</param>
/// <param name="OccurredAt">When the call ended.</param>
public sealed record AbandonedCallCaptured(
    Guid CorrelationId,
    string CallSid,
    string Caller,
    bool CallerWithheld,
    string ShopLine,
    bool AfterHours,
    int DurationSeconds,
    bool IsShortAbandon,
    DateTimeOffset OccurredAt);
