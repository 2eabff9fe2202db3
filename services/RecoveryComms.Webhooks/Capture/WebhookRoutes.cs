using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Telephony.TwiML;
using RecoveryComms.Webhooks.FrontDoor;

namespace RecoveryComms.Webhooks.Capture;

/// <summary>What makes a callback unique: Twilio's SID and the kind of callback (with its status where one SID gets several).</summary>
public sealed record CallbackKey(string ProviderSid, string Kind);

/// <summary>The answer Twilio gets; a duplicate callback gets the stored answer of the first.</summary>
public sealed record WebhookAnswer(int Status, string? ContentType, string? Body)
{
    public static readonly WebhookAnswer NoContent = new(StatusCodes.Status204NoContent, null, null);

    public static WebhookAnswer TwiML(string body) => new(StatusCodes.Status200OK, Twiml.ContentType, body);

    public IResult ToResult() => Body is null ? Results.StatusCode(Status) : Results.Content(Body, ContentType, statusCode: Status);
}

/// <summary>One Twilio webhook route of the contract.</summary>
/// <param name="Path">The route.</param>
/// <param name="Key">Validates the parameters and names the callback; null for callbacks that are not stored (screening whispers).</param>
/// <param name="Answer">What Twilio gets, from the request and configuration alone.</param>
/// <param name="AlwaysAnswers">A voice route whose TwiML must reach the caller even with PostgreSQL and RabbitMQ both down.</param>
public sealed record WebhookRoute(string Path, Func<WebhookRequest, CallbackKey?> Key, Func<WebhookRequest, WebhookAnswer> Answer, bool AlwaysAnswers);

/// <summary>The table of Twilio routes: what each requires, how it is keyed and what it answers.</summary>
public sealed partial class WebhookRoutes
{
    public const string VoiceIncoming = "/twilio/voice/incoming";
    public const string VoiceDialComplete = "/twilio/voice/dial-complete";
    public const string VoiceScreen = "/twilio/voice/screen";
    public const string VoiceScreenResult = "/twilio/voice/screen-result";
    public const string VoiceVoicemailComplete = "/twilio/voice/voicemail-complete";
    public const string VoiceStatus = "/twilio/voice/status";
    public const string VoiceRecording = "/twilio/voice/recording";
    public const string VoiceTranscription = "/twilio/voice/transcription";
    public const string VoiceAttemptStatus = "/twilio/voice/attempt-status";
    public const string VoiceConnect = "/twilio/voice/connect";
    public const string SmsIncoming = "/twilio/sms/incoming";
    public const string SmsStatus = "/twilio/sms/status";

    private readonly Dictionary<string, WebhookRoute> _routes;

    public WebhookRoutes(FrontDoorTwiml frontDoor, IOptions<WebhookOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var region = options.Value.DefaultRegion;
        WebhookRoute[] routes =
        [
            new(VoiceIncoming,
                r => Keyed(r, "CallSid", "voice.incoming", "From", "To"),
                r => WebhookAnswer.TwiML(frontDoor.Incoming(r.ReceivedAt)),
                AlwaysAnswers: true),
            new(VoiceDialComplete,
                r => Keyed(r, "CallSid", "voice.dial-complete", "DialCallStatus"),
                r => WebhookAnswer.TwiML(frontDoor.DialComplete(r["DialCallStatus"])),
                AlwaysAnswers: true),
            new(VoiceScreen, _ => null, _ => WebhookAnswer.TwiML(frontDoor.Screen()), AlwaysAnswers: true),
            new(VoiceScreenResult, _ => null, r => WebhookAnswer.TwiML(FrontDoorTwiml.ScreenResult(r["Digits"])), AlwaysAnswers: true),
            new(VoiceVoicemailComplete,
                r => Keyed(r, "CallSid", "voice.voicemail-complete"),
                _ => WebhookAnswer.TwiML(frontDoor.VoicemailComplete()),
                AlwaysAnswers: true),
            new(VoiceStatus,
                r => Keyed(r, "CallSid", "voice.status:" + Word(r, "CallStatus"), "CallStatus"),
                _ => WebhookAnswer.NoContent,
                AlwaysAnswers: false),
            new(VoiceRecording,
                r => Keyed(r, "RecordingSid", "voice.recording:" + Word(r, "RecordingStatus"), "CallSid", "RecordingStatus"),
                _ => WebhookAnswer.NoContent,
                AlwaysAnswers: false),
            new(VoiceTranscription,
                r => Keyed(r, r["TranscriptionSid"] is not null ? "TranscriptionSid" : "RecordingSid", "voice.transcription",
                    "CallSid", "RecordingSid", "TranscriptionStatus"),
                _ => WebhookAnswer.NoContent,
                AlwaysAnswers: false),
            new(VoiceAttemptStatus,
                r => Keyed(r, "CallSid", "voice.attempt-status:" + Word(r, "CallStatus"), "CallStatus"),
                _ => WebhookAnswer.NoContent,
                AlwaysAnswers: false),
            new(VoiceConnect,
                r => Keyed(r, "CallSid", "voice.connect"),
                r => WebhookAnswer.TwiML(frontDoor.Connect(E164(r, "customer", region), E164(r, "callerId", region))),
                AlwaysAnswers: true),
            new(SmsIncoming,
                r => Keyed(r, "MessageSid", "sms.incoming", "From", "To"),
                r => WebhookAnswer.TwiML(frontDoor.SmsReply(r["Body"], r["OptOutType"])),
                AlwaysAnswers: false),
            new(SmsStatus,
                r => Keyed(r, "MessageSid", "sms.status:" + Word(r, "MessageStatus"), "MessageStatus"),
                _ => WebhookAnswer.NoContent,
                AlwaysAnswers: false),
        ];
        _routes = routes.ToDictionary(route => route.Path, StringComparer.Ordinal);
    }

    public IEnumerable<WebhookRoute> All => _routes.Values;

    public WebhookRoute Get(string path) =>
        _routes.TryGetValue(path, out var route) ? route : throw new WebhookRejectedException($"No webhook route {path}.");

    // Twilio's numeric parameters, checked before anything is stored so a bad one is a 400, not a failure halfway.
    private static readonly string[] Numbers = ["SequenceNumber", "CallDuration", "RecordingDuration", "DialCallDuration", "NumMedia", "ErrorCode"];

    private static CallbackKey Keyed(WebhookRequest request, string sidName, string kind, params string[] required)
    {
        var key = new CallbackKey(Sid(request, sidName), kind);
        foreach (var name in required)
        {
            request.Required(name);
        }

        foreach (var name in Numbers)
        {
            request.OptionalInt(name);
        }

        return key;
    }

    // Twilio SIDs are two letters and hex; test SIDs in Twilio's own examples are shorter, so only the shape is checked.
    private static string Sid(WebhookRequest request, string name)
    {
        var sid = request.Required(name);
        return SidShape().IsMatch(sid) ? sid : throw new WebhookRejectedException($"{name} '{sid}' is not a Twilio SID.");
    }

    private static string Word(WebhookRequest request, string name)
    {
        var word = request.Required(name);
        return StatusShape().IsMatch(word) ? word : throw new WebhookRejectedException($"{name} '{word}' is not a status Twilio sends.");
    }

    private static string E164(WebhookRequest request, string name, string region) =>
        Phone.TryNormalize(request.QueryValue(name), region, out var e164) ? e164 : throw new WebhookRejectedException($"The {name} query parameter must be a phone number.");

    [GeneratedRegex("^[A-Z]{2}[A-Za-z0-9]{6,62}$")]
    private static partial Regex SidShape();

    [GeneratedRegex("^[a-z][a-z_-]{1,30}$")]
    private static partial Regex StatusShape();
}
