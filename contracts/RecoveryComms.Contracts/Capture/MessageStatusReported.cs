namespace RecoveryComms.Contracts.Capture;

/// <summary>
/// An outbound message moved to a newer status (Twilio's callbacks arrive in any order; an older status
/// never follows a newer one here). Published by the webhooks service.
/// </summary>
/// <param name="CorrelationId">Derived from <paramref name="MessageSid"/>.</param>
/// <param name="MessageSid">Twilio's id of the message.</param>
/// <param name="Status">The new status: <c>queued</c>, <c>sent</c>, <c>delivered</c>, <c>undelivered</c>, <c>failed</c>…</param>
/// <param name="ErrorCode">Twilio's error code when failed or undelivered (21610: recipient opted out).</param>
/// <param name="ErrorMessage">Twilio's error text, when given.</param>
/// <param name="To">The recipient, E.164, when Twilio sent it.</param>
/// <param name="ShopLine">The sending shop number (Twilio's <c>From</c>), E.164, when Twilio sent it.</param>
/// <param name="AfterHours">True when the callback arrived outside business hours.</param>
/// <param name="OccurredAt">When the callback arrived.</param>
public sealed record MessageStatusReported(
    Guid CorrelationId,
    string MessageSid,
    string Status,
    int? ErrorCode,
    string? ErrorMessage,
    string? To,
    string? ShopLine,
    bool AfterHours,
    DateTimeOffset OccurredAt);
