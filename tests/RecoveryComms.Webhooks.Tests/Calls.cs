using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests;

/// <summary>The callbacks Twilio sends for one inbound call, with the parameters Twilio sends (to the host, or to <paramref name="via"/>: another replica).</summary>
public sealed class Calls(WebhooksHost host, string? from = null, TwilioWebhookClient? via = null)
{
    private TwilioWebhookClient Twilio => via ?? host.Twilio;

    public string CallSid { get; } = Sids.Call();

    public string From { get; } = from ?? Sids.Phone();

    public Task<HttpResponseMessage> IncomingAsync() =>
        Ok(Twilio.PostAsync("/twilio/voice/incoming", Voice(("CallStatus", "ringing"))));

    public Task<HttpResponseMessage> DialCompleteAsync(string dialCallStatus) =>
        Ok(Twilio.PostAsync("/twilio/voice/dial-complete", Voice(("CallStatus", "in-progress"), ("DialCallStatus", dialCallStatus))));

    public Task<HttpResponseMessage> StatusAsync(string callStatus, int sequence, int duration = 0) =>
        Ok(Twilio.PostAsync("/twilio/voice/status", Voice(
            ("CallStatus", callStatus), ("SequenceNumber", sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("CallDuration", duration.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("CallbackSource", "call-progress-events"))));

    /// <summary>The status callback, without insisting on success (a 503 is what an outage answers).</summary>
    public Task<HttpResponseMessage> TryStatusAsync(string callStatus, int sequence, int duration = 0) =>
        Twilio.PostAsync("/twilio/voice/status", Voice(
            ("CallStatus", callStatus), ("SequenceNumber", sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("CallDuration", duration.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("CallbackSource", "call-progress-events")));

    public Task<HttpResponseMessage> RecordingAsync(string recordingSid, int duration = 14) =>
        Ok(Twilio.PostAsync("/twilio/voice/recording",
            ("AccountSid", "AC00000000000000000000000000000001"), ("CallSid", CallSid), ("RecordingSid", recordingSid),
            ("RecordingUrl", $"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{recordingSid}"),
            ("RecordingStatus", "completed"), ("RecordingDuration", duration.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("RecordingChannels", "1"), ("RecordingSource", "RecordVerb")));

    public Task<HttpResponseMessage> TranscriptionAsync(string recordingSid, string text) =>
        Ok(Twilio.PostAsync("/twilio/voice/transcription", Voice(
            ("TranscriptionSid", Sids.Transcription()), ("TranscriptionText", text), ("TranscriptionStatus", "completed"),
            ("RecordingSid", recordingSid), ("RecordingUrl", "https://api.twilio.com/r"))));

    private static async Task<HttpResponseMessage> Ok(Task<HttpResponseMessage> sending)
    {
        var response = await sending;
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return response;
    }

    private IEnumerable<KeyValuePair<string, string>> Voice(params (string Key, string Value)[] extra) =>
        new (string Key, string Value)[]
        {
            ("AccountSid", "AC00000000000000000000000000000001"), ("ApiVersion", "2010-04-01"), ("CallSid", CallSid),
            ("Direction", "inbound"), ("From", From), ("Caller", From), ("To", WebhooksHost.ShopLine), ("Called", WebhooksHost.ShopLine),
        }.Concat(extra).Select(p => new KeyValuePair<string, string>(p.Key, p.Value));
}
