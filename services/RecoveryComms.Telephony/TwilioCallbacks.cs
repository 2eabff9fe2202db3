namespace RecoveryComms.Telephony;

/// <summary>
/// Every path Twilio posts to on the webhooks service (the contract fixes them), the connection overrides on the
/// callback URLs we hand Twilio, and the absolute URLs built from <see cref="TwilioOptions.PublicBaseUrl"/>. The
/// webhooks service maps these paths, and every service that asks Twilio to call back builds its URLs here.
/// </summary>
public static class TwilioCallbacks
{
    /// <summary>
    /// Twilio's connection overrides (shared/docs/twilio-facts.md §2.10): up to 3 retries on a connect failure, a read
    /// timeout or a 5xx. Twilio's default retries on a connect failure only, once, so a callback our service could not
    /// keep (503) would be lost. A fragment is neither sent to us nor part of the signature.
    /// </summary>
    public const string RetryFragment = "#rc=3&rp=ct,rt,5xx";

    /// <summary>A call to the shop's number (the number's voice URL in the Twilio console).</summary>
    public const string VoiceIncoming = "/twilio/voice/incoming";

    /// <summary>The ring group's <c>&lt;Dial action&gt;</c>: who answered, if anyone.</summary>
    public const string VoiceDialComplete = "/twilio/voice/dial-complete";

    /// <summary>The whisper on a ring-group leg (<c>&lt;Number url&gt;</c>).</summary>
    public const string VoiceScreen = "/twilio/voice/screen";

    /// <summary>The key press (or none) after the whisper.</summary>
    public const string VoiceScreenResult = "/twilio/voice/screen-result";

    /// <summary>The voicemail <c>&lt;Record action&gt;</c>.</summary>
    public const string VoiceVoicemailComplete = "/twilio/voice/voicemail-complete";

    /// <summary>The inbound call's status callback (the number's status callback URL in the console).</summary>
    public const string VoiceStatus = "/twilio/voice/status";

    /// <summary>The voicemail's <c>recordingStatusCallback</c>.</summary>
    public const string VoiceRecording = "/twilio/voice/recording";

    /// <summary>The voicemail's <c>transcribeCallback</c>.</summary>
    public const string VoiceTranscription = "/twilio/voice/transcription";

    /// <summary>Progress of a click-to-call's legs (the CSR leg from the REST call, the customer leg from <c>&lt;Number statusCallback&gt;</c>).</summary>
    public const string VoiceAttemptStatus = "/twilio/voice/attempt-status";

    /// <summary>The CSR answered a click-to-call: bridge to the customer.</summary>
    public const string VoiceConnect = "/twilio/voice/connect";

    /// <summary>The recording notice the customer hears before a recorded click-to-call bridge (<c>&lt;Number url&gt;</c>).</summary>
    public const string VoiceRecordingNotice = "/twilio/voice/recording-notice";

    /// <summary>A recorded click-to-call's <c>recordingStatusCallback</c>.</summary>
    public const string VoiceCallbackRecording = "/twilio/voice/callback-recording";

    /// <summary>An inbound text (the number's messaging URL in the console).</summary>
    public const string SmsIncoming = "/twilio/sms/incoming";

    /// <summary>An outbound text's status callback.</summary>
    public const string SmsStatus = "/twilio/sms/status";

    /// <summary>
    /// The callback URL for <paramref name="path"/>: the public base (without a trailing slash), the path, the query
    /// when given (already escaped, without its <c>?</c>), then <see cref="RetryFragment"/>.
    /// </summary>
    /// <param name="publicBaseUrl">The base URL Twilio reaches the webhooks service at (<see cref="TwilioOptions.PublicBaseUrl"/>).</param>
    /// <param name="path">One of the paths above.</param>
    /// <param name="query">The escaped query, e.g. <c>attempt=…</c>, or null.</param>
    public static string Callback(string publicBaseUrl, string path, string? query = null) => Url(publicBaseUrl, path, query) + RetryFragment;

    /// <summary>
    /// The same URL without the retry fragment: the click-to-call's <c>Url</c>, which Twilio fetches as the call
    /// connects (as it always has been).
    /// </summary>
    /// <param name="publicBaseUrl">The base URL Twilio reaches the webhooks service at (<see cref="TwilioOptions.PublicBaseUrl"/>).</param>
    /// <param name="path">One of the paths above.</param>
    /// <param name="query">The escaped query, or null.</param>
    public static string Url(string publicBaseUrl, string path, string? query = null)
    {
        ArgumentNullException.ThrowIfNull(publicBaseUrl);
        ArgumentException.ThrowIfNullOrEmpty(path);
        return publicBaseUrl.TrimEnd('/') + path + (string.IsNullOrEmpty(query) ? "" : "?" + query);
    }
}
