namespace RecoveryComms.Contracts.Capture;

/// <summary>
/// A caller left a voicemail and the recording is ready. Published by the webhooks service, once per recording.
/// If Twilio's transcription arrived first, it rides along here; otherwise <see cref="VoicemailTranscribed"/> follows.
/// </summary>
/// <param name="CorrelationId">The same for every event of this call.</param>
/// <param name="CallSid">Twilio's id of the inbound call.</param>
/// <param name="RecordingSid">Twilio's id of the recording (<c>RE…</c>).</param>
/// <param name="RecordingUrl">Where Twilio serves the audio (append <c>.mp3</c> for MP3).</param>
/// <param name="DurationSeconds">Length of the message.</param>
/// <param name="Caller">The caller in E.164, or Twilio's raw value when withheld.</param>
/// <param name="CallerWithheld">True when the caller ID was anonymous or restricted.</param>
/// <param name="ShopLine">The shop number that was called, E.164.</param>
/// <param name="AfterHours">True when the call came in outside business hours.</param>
/// <param name="IsInternal">True when the caller is one of the shop's own staff or technician numbers.</param>
/// <param name="TranscriptionText">The transcription, when it arrived before the recording callback.</param>
/// <param name="OccurredAt">When the recording completed.</param>
public sealed record VoicemailCaptured(
    Guid CorrelationId,
    string CallSid,
    string RecordingSid,
    string RecordingUrl,
    int DurationSeconds,
    string Caller,
    bool CallerWithheld,
    string ShopLine,
    bool AfterHours,
    bool IsInternal,
    string? TranscriptionText,
    DateTimeOffset OccurredAt);
