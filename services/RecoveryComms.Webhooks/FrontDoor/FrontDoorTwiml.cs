using Microsoft.Extensions.Options;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Telephony;
using RecoveryComms.Telephony.Messaging;
using RecoveryComms.Telephony.TwiML;

namespace RecoveryComms.Webhooks.FrontDoor;

/// <summary>
/// The TwiML the shop's callers and staff hear. Computed from memory alone (configuration, and the hours and
/// ring group the console last saved: <see cref="FrontDoorSettings"/>), so the phones ring whether or not
/// PostgreSQL and RabbitMQ answer.
/// </summary>
public sealed class FrontDoorTwiml(IOptions<WebhookOptions> options, IOptions<PhoneOptions> phones, IOptions<TwilioOptions> twilio, FrontDoorSettings shop)
{
    private readonly HashSet<string> _staff = options.Value.StaffNumbers
        .Select(number => Phone.NormalizeOrRaw(number, phones.Value.DefaultRegion)).ToHashSet(StringComparer.Ordinal);

    private WebhookOptions Options => options.Value;

    /// <summary>A URL on this service as Twilio must call it, with the connection overrides that ask for retries.</summary>
    public string CallbackUrl(string path) => TwilioCallbacks.Callback(twilio.Value.PublicBaseUrl, path);

    public bool IsAfterHours(DateTimeOffset at) => !shop.Current.Week.IsOpen(at);

    /// <summary>The numbers rung now (empty: every call goes to voicemail).</summary>
    public IReadOnlyList<string> RingGroup => shop.Current.RingGroup;

    /// <summary>Business hours: ring the group (screened). After hours, or with no ring group: greeting and voicemail.</summary>
    public string Incoming(DateTimeOffset at)
    {
        var current = shop.Current;
        if (!current.Week.IsOpen(at) || current.RingGroup.Count == 0)
        {
            return Voicemail(Options.AfterHoursGreeting);
        }

        var whisper = Options.ScreenCalls ? CallbackUrl(TwilioCallbacks.VoiceScreen) : null;
        var numbers = current.RingGroup.Select(number => Twiml.Number(number, whisper)).ToArray();
        return Twiml.Render(Twiml.Response(
            Twiml.Dial(CallbackUrl(TwilioCallbacks.VoiceDialComplete), Options.RingTimeoutSeconds, callerId: null, answerOnBridge: true, numbers)));
    }

    /// <summary>After the ring group: hang up if someone took the call, else take a voicemail.</summary>
    public static bool WasAnswered(string? dialCallStatus) => dialCallStatus is "completed" or "answered";

    public string DialComplete(string? dialCallStatus) =>
        WasAnswered(dialCallStatus) ? Twiml.Render(Twiml.Response(Twiml.Hangup())) : Voicemail(Options.VoicemailPrompt);

    /// <summary>The whisper on a ring-group leg: a person presses a key, a voicemail box cannot.</summary>
    public string Screen() => Twiml.Render(Twiml.Response(
        Twiml.GatherOneKey(CallbackUrl(TwilioCallbacks.VoiceScreenResult), 6, Twiml.Say(Options.ScreenPrompt)),
        Twiml.Hangup()));

    /// <summary>A key was pressed: an empty response bridges the caller. No key: hang up this leg only.</summary>
    public static string ScreenResult(string? digits) =>
        Twiml.Render(string.IsNullOrEmpty(digits) || digits == "hangup" ? Twiml.Response(Twiml.Hangup()) : Twiml.Response());

    public string VoicemailComplete() => Twiml.Render(Twiml.Response(
        Twiml.Say($"Thank you. {Options.ShopName} will call you back shortly. Goodbye."), Twiml.Hangup()));

    /// <summary>
    /// The CSR answered a click-to-call leg: bridge to the customer from the shop line; the customer leg reports its
    /// progress. Recorded: the customer hears the notice first, then the bridge is recorded from the answer, one
    /// channel per party.
    /// </summary>
    public string Connect(string customer, string callerId, bool record) => Twiml.Render(Twiml.Response(
        Twiml.Dial(action: null, 30, callerId, answerOnBridge: false,
            record ? new DialRecording(CallbackUrl(TwilioCallbacks.VoiceCallbackRecording)) : null,
            Twiml.Number(customer,
                whisperUrl: record ? CallbackUrl(TwilioCallbacks.VoiceRecordingNotice) : null,
                statusCallback: CallbackUrl(TwilioCallbacks.VoiceAttemptStatus)))));

    /// <summary>The customer may no longer be called (consent refused when the CSR answered): the CSR hears why, nobody is dialled.</summary>
    public string ConnectRefused() => Twiml.Render(Twiml.Response(
        Twiml.Say("This customer may not be called now: they asked not to be contacted. The call was not connected."), Twiml.Hangup()));

    /// <summary>Played on the customer's leg once they answer, before the recorded bridge (an empty rest of the document bridges).</summary>
    public string RecordingNotice() => Twiml.Render(Twiml.Response(Twiml.Say(Options.RecordingNotice)));

    /// <summary>The reply to an inbound text: the help text, the one opt-out confirmation, or nothing.</summary>
    public string SmsReply(string? body, string? optOutType)
    {
        // Twilio's Advanced Opt-Out already answered when it set OptOutType; answering again would double up.
        if (optOutType is not null)
        {
            return Twiml.Render(Twiml.Response());
        }

        return SmsKeywords.Classify(body, optOutType, currentlyOptedOut: false) switch
        {
            SmsIntent.Help => Twiml.Render(Twiml.Response(Twiml.Message(Options.HelpText))),
            SmsIntent.OptOut or SmsIntent.OptOutNeedsReview => Twiml.Render(Twiml.Response(Twiml.Message(Options.OptOutConfirmation))),
            _ => Twiml.Render(Twiml.Response()),
        };
    }

    /// <summary>True for the shop's own staff and technician numbers.</summary>
    /// <param name="e164">The caller, already normalised.</param>
    public bool IsStaff(string e164) => _staff.Contains(e164);

    private string Voicemail(string prompt) => Twiml.Render(Twiml.Response(
        Twiml.Say(prompt),
        Twiml.Record(
            CallbackUrl(TwilioCallbacks.VoiceVoicemailComplete),
            Options.VoicemailMaxSeconds,
            CallbackUrl(TwilioCallbacks.VoiceRecording),
            CallbackUrl(TwilioCallbacks.VoiceTranscription)),
        Twiml.Hangup()));
}
