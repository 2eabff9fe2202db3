namespace RecoveryComms.Contracts.Capture;

/// <summary>
/// A text message reached a shop line. Published by the webhooks service, once per message; the consent
/// service reads keywords (STOP, START, HELP) from it and the orchestrator treats the rest as replies.
/// </summary>
/// <param name="CorrelationId">Derived from <paramref name="MessageSid"/>.</param>
/// <param name="MessageSid">Twilio's id of the message.</param>
/// <param name="From">The sender in E.164 (raw when it could not be parsed).</param>
/// <param name="ShopLine">The shop number that received it.</param>
/// <param name="Body">The text, exactly as received.</param>
/// <param name="OptOutType"><c>STOP</c>, <c>START</c> or <c>HELP</c> when Twilio's Advanced Opt-Out matched a keyword, else null.</param>
/// <param name="NumMedia">How many media attachments came with it.</param>
/// <param name="AfterHours">True when it arrived outside business hours.</param>
/// <param name="IsInternal">True when the sender is one of the shop's own staff or technician numbers.</param>
/// <param name="OccurredAt">When it was received.</param>
public sealed record InboundSmsReceived(
    Guid CorrelationId,
    string MessageSid,
    string From,
    string ShopLine,
    string Body,
    string? OptOutType,
    int NumMedia,
    bool AfterHours,
    bool IsInternal,
    DateTimeOffset OccurredAt);
