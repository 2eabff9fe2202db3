using Microsoft.Extensions.Options;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Telephony;
using RecoveryComms.Webhooks.Capture.Calls;
using RecoveryComms.Webhooks.Capture.Intake;
using RecoveryComms.Webhooks.Capture.Messages;
using RecoveryComms.Webhooks.FrontDoor;
using static RecoveryComms.Webhooks.Capture.WebhookForm;

namespace RecoveryComms.Webhooks.Capture;

/// <summary>
/// The table of Twilio routes, one entry each: its path, the form it must carry (and its key), what Twilio
/// hears back and what capture does with it. Every route goes through the same pipeline (<see cref="WebhookPipeline"/>).
/// </summary>
public sealed class WebhookRoutes
{
    private readonly Dictionary<string, WebhookRoute> _routes;

    public WebhookRoutes(
        FrontDoorTwiml frontDoor, CallCapture calls, MessageCapture messages, IOptions<PhoneOptions> phones, MassTransit.IClientFactory clients,
        ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(frontDoor);
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(phones);
        ArgumentNullException.ThrowIfNull(loggers);
        var region = phones.Value.DefaultRegion;
        var connectCheck = new ConnectConsentCheck(clients, frontDoor, loggers.CreateLogger<ConnectConsentCheck>());
        WebhookRoute[] routes =
        [
            // The caller's side: TwiML the caller waits for, answered whatever is down.
            new(TwilioCallbacks.VoiceIncoming,
                Once("CallSid", "voice.incoming", "From", "To"),
                r => TwiML(frontDoor.Incoming(r.ReceivedAt)),
                calls.IncomingAsync,
                AlwaysAnswers: true),
            new(TwilioCallbacks.VoiceDialComplete,
                Once("CallSid", "voice.dial-complete", "DialCallStatus"),
                r => TwiML(frontDoor.DialComplete(r["DialCallStatus"])),
                calls.DialCompleteAsync,
                AlwaysAnswers: true),
            new(TwilioCallbacks.VoiceScreen, Form: null, _ => TwiML(frontDoor.Screen()), Capture: null, AlwaysAnswers: true),
            new(TwilioCallbacks.VoiceScreenResult, Form: null, r => TwiML(FrontDoorTwiml.ScreenResult(r["Digits"])), Capture: null, AlwaysAnswers: true),
            new(TwilioCallbacks.VoiceVoicemailComplete,
                Once("CallSid", "voice.voicemail-complete"),
                _ => TwiML(frontDoor.VoicemailComplete()),
                calls.VoicemailCompleteAsync,
                AlwaysAnswers: true),

            // Twilio's reports on the call: 204, or 503 when they cannot be kept (Twilio retries them).
            new(TwilioCallbacks.VoiceStatus,
                PerStatus("CallSid", "voice.status", "CallStatus"),
                _ => WebhookAnswer.NoContent,
                calls.StatusAsync,
                AlwaysAnswers: false),
            new(TwilioCallbacks.VoiceRecording,
                PerStatus("RecordingSid", "voice.recording", "RecordingStatus", "CallSid"),
                _ => WebhookAnswer.NoContent,
                calls.RecordingAsync,
                AlwaysAnswers: false),
            new(TwilioCallbacks.VoiceTranscription,
                Once("TranscriptionSid", "voice.transcription", "CallSid", "RecordingSid", "TranscriptionStatus") with { SidWhenMissing = "RecordingSid" },
                _ => WebhookAnswer.NoContent,
                calls.TranscriptionAsync,
                AlwaysAnswers: false),

            // Click-to-call: the CSR leg answers and is bridged to the customer; both legs report progress.
            new(TwilioCallbacks.VoiceConnect,
                Once("CallSid", "voice.connect"),
                r => TwiML(frontDoor.Connect(E164(r, "customer", region), E164(r, "callerId", region), Record(r))),
                Capture: null,
                AlwaysAnswers: true)
            {
                // A do-not-contact recorded while the CSR's phone rang: hang up instead of dialling (ConnectConsentCheck).
                Recheck = (r, ct) => connectCheck.RefusalAsync(r, E164(r, "customer", region), ct),
            },
            new(TwilioCallbacks.VoiceRecordingNotice, Form: null, _ => TwiML(frontDoor.RecordingNotice()), Capture: null, AlwaysAnswers: true),
            new(TwilioCallbacks.VoiceCallbackRecording,
                PerStatus("RecordingSid", "voice.callback-recording", "RecordingStatus", "CallSid"),
                _ => WebhookAnswer.NoContent,
                calls.CallbackRecordingAsync,
                AlwaysAnswers: false),
            new(TwilioCallbacks.VoiceAttemptStatus,
                PerStatus("CallSid", "voice.attempt-status", "CallStatus"),
                _ => WebhookAnswer.NoContent,
                calls.AttemptStatusAsync,
                AlwaysAnswers: false),

            // Texts.
            new(TwilioCallbacks.SmsIncoming,
                Once("MessageSid", "sms.incoming", "From", "To"),
                r => TwiML(frontDoor.SmsReply(r["Body"], r["OptOutType"])),
                messages.InboundAsync,
                AlwaysAnswers: false),
            new(TwilioCallbacks.SmsStatus,
                PerStatus("MessageSid", "sms.status", "MessageStatus"),
                _ => WebhookAnswer.NoContent,
                messages.StatusAsync,
                AlwaysAnswers: false),
        ];
        _routes = routes.ToDictionary(route => route.Path, StringComparer.Ordinal);
    }

    public IEnumerable<WebhookRoute> All => _routes.Values;

    public WebhookRoute Get(string path) =>
        _routes.TryGetValue(path, out var route) ? route : throw new WebhookRejectedException($"No webhook route {path}.");

    private static WebhookAnswer TwiML(string body) => WebhookAnswer.TwiML(body);

    // The orchestrator adds record=true to the (signed) connect URL when the shop records callbacks.
    private static bool Record(WebhookRequest request) => string.Equals(request.QueryValue("record"), "true", StringComparison.OrdinalIgnoreCase);

    private static string E164(WebhookRequest request, string name, string region) =>
        Phone.TryNormalize(request.QueryValue(name), region, out var e164) ? e164 : throw new WebhookRejectedException($"The {name} query parameter must be a phone number.");
}
