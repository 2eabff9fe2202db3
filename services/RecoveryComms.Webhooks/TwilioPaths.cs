namespace RecoveryComms.Webhooks;

/// <summary>
/// Every path Twilio posts to on this service. The route table (<c>Capture/WebhookRoutes</c>) maps them and the
/// TwiML (<c>FrontDoor/FrontDoorTwiml</c>) points Twilio back at them, both through these constants.
/// </summary>
public static class TwilioPaths
{
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
}
