using RecoveryComms.Telephony;
using RecoveryComms.Testing;

namespace RecoveryComms.DevTools;

/// <summary>Plays the callbacks Twilio sends for a scenario, signed with the configured auth token.</summary>
internal static class Simulator
{
    public static async Task<int> RunAsync(string scenario, Options options)
    {
        var token = Options.Env("Twilio__AuthToken", "dev-auth-token");
        var publicBase = Options.Env("Twilio__PublicBaseUrl", "http://127.0.0.1:5080");
        var target = Options.Env("RC_WEBHOOKS_URL", "http://127.0.0.1:5080");
        var from = options.Get("from", "+15551234567");
        var to = options.Get("to", Options.Env("Business__ShopLines__0", "+15550001111"));
        using var http = new HttpClient { BaseAddress = new Uri(target) };
        var twilio = new TwilioWebhookClient(http, token, publicBase);
        var callSid = Sids.Call();
        var step = 0;

        async Task<string> Post(string path, params (string Key, string Value)[] extra)
        {
            (string, string)[] common = path.StartsWith("/twilio/sms", StringComparison.Ordinal)
                ? [("AccountSid", "AC00000000000000000000000000000000"), ("From", from), ("To", to)]
                : [("AccountSid", "AC00000000000000000000000000000000"), ("CallSid", callSid), ("From", from), ("To", to), ("Direction", "inbound")];
            var response = await twilio.PostAsync(path, common.Concat(extra).ToArray());
            var body = await response.Content.ReadAsStringAsync();
            Console.WriteLine($"{++step}. POST {path} → {(int)response.StatusCode}{(body.Length > 0 ? "  " + body : "")}");
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
            }

            return body;
        }

        try
        {
            switch (scenario)
            {
                case "missed-call":
                    if ((await Post(TwilioCallbacks.VoiceIncoming, ("CallStatus", "ringing"))).Contains("<Dial", StringComparison.Ordinal))
                    {
                        await Post(TwilioCallbacks.VoiceDialComplete, ("CallStatus", "in-progress"), ("DialCallStatus", "no-answer"));
                    }

                    await Post(TwilioCallbacks.VoiceStatus, ("CallStatus", "completed"), ("SequenceNumber", "4"), ("CallDuration", "27"));
                    break;
                case "voicemail":
                    var recordingSid = Sids.Recording();
                    if ((await Post(TwilioCallbacks.VoiceIncoming, ("CallStatus", "ringing"))).Contains("<Dial", StringComparison.Ordinal))
                    {
                        await Post(TwilioCallbacks.VoiceDialComplete, ("CallStatus", "in-progress"), ("DialCallStatus", "no-answer"));
                    }

                    await Post(TwilioCallbacks.VoiceVoicemailComplete, ("CallStatus", "in-progress"), ("RecordingUrl", $"https://api.twilio.com/Recordings/{recordingSid}"), ("RecordingDuration", "18"), ("Digits", "hangup"));
                    await Post(TwilioCallbacks.VoiceRecording, ("RecordingSid", recordingSid), ("RecordingStatus", "completed"), ("RecordingDuration", "18"),
                        ("RecordingUrl", $"https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/{recordingSid}"));
                    await Post(TwilioCallbacks.VoiceTranscription, ("RecordingSid", recordingSid), ("TranscriptionSid", Sids.Transcription()),
                        ("TranscriptionStatus", "completed"), ("TranscriptionText", "Hi, our AC stopped working, please call me back."));
                    await Post(TwilioCallbacks.VoiceStatus, ("CallStatus", "completed"), ("SequenceNumber", "4"), ("CallDuration", "45"));
                    break;
                case "abandoned":
                    await Post(TwilioCallbacks.VoiceIncoming, ("CallStatus", "ringing"));
                    await Post(TwilioCallbacks.VoiceStatus, ("CallStatus", "completed"), ("SequenceNumber", "3"), ("CallDuration", options.Get("duration", "4")));
                    break;
                case "callback":
                    // The legs of a click-to-call attempt: the CSR answers, then the customer's leg ends with --status.
                    var csrCall = options.Get("call", "");
                    if (csrCall.Length == 0)
                    {
                        Console.Error.WriteLine("callback needs --call <csrCallSid from POST /api/recoveries/{id}/call> [--status no-answer|busy|completed]");
                        return 2;
                    }

                    var customerLeg = Sids.Call();
                    async Task Leg(string sid, string? parent, string status)
                    {
                        (string, string)[] form = [("AccountSid", "AC00000000000000000000000000000000"), ("CallSid", sid), ("CallStatus", status),
                            ("From", to), ("To", from), ("Direction", "outbound-api")];
                        var response = await twilio.PostAsync(TwilioCallbacks.VoiceAttemptStatus, parent is null ? form : [.. form, ("ParentCallSid", parent)]);
                        Console.WriteLine($"{++step}. POST /twilio/voice/attempt-status ({sid} {status}) → {(int)response.StatusCode}");
                        if (!response.IsSuccessStatusCode)
                        {
                            throw new InvalidOperationException($"attempt-status answered {(int)response.StatusCode}");
                        }
                    }

                    await Leg(csrCall, null, "in-progress");
                    await Leg(customerLeg, csrCall, options.Get("status", "no-answer"));
                    await Leg(csrCall, null, "completed");
                    break;
                case "sms":
                    await Post(TwilioCallbacks.SmsIncoming, ("MessageSid", Sids.Message()), ("Body", options.Get("body", "Hello")), ("NumMedia", "0"));
                    break;
                default:
                    Console.Error.WriteLine($"unknown scenario '{scenario}': missed-call, voicemail, abandoned, sms, callback");
                    return 2;
            }
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException)
        {
            Console.Error.WriteLine($"simulate failed: {e.Message} (is ./infra/dev.sh up running?)");
            return 1;
        }

        Console.WriteLine($"done: {scenario} from {from} (call {callSid})");
        return 0;
    }
}
