namespace RecoveryComms.Contracts.Consent;

/// <summary>
/// Sent by the webhooks service for an inbound opt-out text before it answers Twilio, so that once the STOP
/// webhook is answered the opt-out is in force. Answered by <see cref="OptOutRecorded"/>. Idempotent per
/// <paramref name="MessageSid"/>.
/// </summary>
/// <param name="CorrelationId">Echoed in the answer.</param>
/// <param name="MessageSid">The inbound message.</param>
/// <param name="From">The sender.</param>
/// <param name="Body">The text, as evidence.</param>
/// <param name="OptOutType">Twilio's <c>OptOutType</c>, when set.</param>
/// <param name="NeedsReview">True when it was not a keyword but plainly asked to stop.</param>
/// <param name="OccurredAt">When the text was received.</param>
public sealed record RecordOptOut(Guid CorrelationId, string MessageSid, string From, string Body, string? OptOutType, bool NeedsReview, DateTimeOffset OccurredAt);
