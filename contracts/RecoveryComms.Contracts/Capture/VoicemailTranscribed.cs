namespace RecoveryComms.Contracts.Capture;

/// <summary>
/// Twilio's transcription of a voicemail that was already published by <see cref="VoicemailCaptured"/>
/// without text. Published by the webhooks service, at most once per recording.
/// </summary>
/// <param name="CorrelationId">The same for every event of this call.</param>
/// <param name="CallSid">Twilio's id of the inbound call.</param>
/// <param name="RecordingSid">The recording it transcribes: attach it to that voicemail.</param>
/// <param name="TranscriptionSid">Twilio's id of the transcription.</param>
/// <param name="Status"><c>completed</c> or <c>failed</c>.</param>
/// <param name="Text">The text (empty when it failed).</param>
/// <param name="ShopLine">The shop number that was called, E.164.</param>
/// <param name="AfterHours">True when the call came in outside business hours.</param>
/// <param name="OccurredAt">When the transcription arrived.</param>
public sealed record VoicemailTranscribed(
    Guid CorrelationId,
    string CallSid,
    string RecordingSid,
    string TranscriptionSid,
    string Status,
    string Text,
    string ShopLine,
    bool AfterHours,
    DateTimeOffset OccurredAt);
