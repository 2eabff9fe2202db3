namespace RecoveryComms.Contracts.Capture;

/// <summary>
/// The recording of a click-to-call bridge (CSR and customer) is ready. Published by the webhooks service once
/// per recording, when the shop records callbacks (<c>Recovery__RecordCallbacks</c>): the connect route's
/// <c>&lt;Dial&gt;</c> then records from the moment the customer answers, each party on its own channel, after the
/// customer has heard the recording notice.
/// </summary>
/// <param name="CorrelationId">Derived from <paramref name="CallSid"/>, like the CSR leg's <see cref="CallbackAttemptStatusReported"/>.</param>
/// <param name="CallSid">The CSR leg (the parent call the orchestrator placed; Twilio names the parent leg in a recording callback).</param>
/// <param name="RecordingSid">Twilio's id of the recording (<c>RE…</c>).</param>
/// <param name="RecordingUrl">Where Twilio serves the audio (append <c>.mp3</c> for MP3); two channels, one per party.</param>
/// <param name="DurationSeconds">Length of the recording (Twilio's <c>RecordingDuration</c>; 0 when not sent).</param>
/// <param name="OccurredAt">Twilio's timestamp of the callback, else when the webhooks service received it.</param>
public sealed record CallbackRecordingCaptured(
    Guid CorrelationId,
    string CallSid,
    string RecordingSid,
    string RecordingUrl,
    int DurationSeconds,
    DateTimeOffset OccurredAt);
