using RecoveryComms.Contracts.Capture;
using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests.Capture;

public sealed class IdempotencyTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    [Fact]
    public async Task DialComplete_DeliveredTwentyTimesAtOnce_IsStoredOnceAndPublishedOnce()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var call = new Calls(host);
        await call.IncomingAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => call.DialCompleteAsync("no-answer")));

        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
        Assert.Single(bodies.Distinct());
        Assert.Equal(1, await host.ScalarAsync<long>(
            "SELECT count(*) FROM webhooks.inbound_webhooks WHERE provider_sid = @CallSid AND kind = 'voice.dial-complete'", call));
        Assert.Equal(1, await host.ScalarAsync<long>(
            "SELECT count(*) FROM webhooks.outbox WHERE payload->>'callSid' = @CallSid AND message_type LIKE '%MissedCallCaptured'", call));
        await host.Events.WaitForAsync<MissedCallCaptured>(e => e.CallSid == call.CallSid);
    }

    [Fact]
    public async Task Recording_DeliveredConcurrentlyWithItsTranscription_PublishesOneVoicemailWithOrWithoutText()
    {
        host.Clock.Now = WebhooksHost.AfterHours;
        var call = new Calls(host);
        var recordingSid = Sids.Recording();
        await call.IncomingAsync();

        await Task.WhenAll(
            call.RecordingAsync(recordingSid), call.RecordingAsync(recordingSid), call.RecordingAsync(recordingSid),
            call.TranscriptionAsync(recordingSid, "Please call about the furnace"));

        var voicemail = Assert.Single(await host.Events.WaitForAsync<VoicemailCaptured>(e => e.RecordingSid == recordingSid));
        if (voicemail.TranscriptionText is null)
        {
            Assert.Equal("Please call about the furnace", Assert.Single(await host.Events.WaitForAsync<VoicemailTranscribed>(e => e.RecordingSid == recordingSid)).Text);
        }
        else
        {
            Assert.Equal("Please call about the furnace", voicemail.TranscriptionText);
        }

        Assert.Equal(1, await host.ScalarAsync<long>(
            "SELECT count(*) FROM webhooks.outbox WHERE payload->>'recordingSid' = @recordingSid AND message_type LIKE '%VoicemailCaptured'", new { recordingSid }));
    }

    [Fact]
    public async Task Incoming_Duplicate_GetsTheFirstAnswerEvenAfterTheHoursChanged()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var call = new Calls(host);
        var first = await (await call.IncomingAsync()).Content.ReadAsStringAsync();

        host.Clock.Now = WebhooksHost.AfterHours;
        var retry = await (await call.IncomingAsync()).Content.ReadAsStringAsync();

        Assert.Equal(first, retry);
        Assert.Contains("<Dial", retry, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhook_IdempotencyToken_IsRecorded()
    {
        var callSid = Sids.Call();

        await host.Twilio.PostAsync("/twilio/voice/status",
            [new("CallSid", callSid), new("CallStatus", "ringing")], idempotencyToken: "token-123");

        Assert.Equal("token-123", await host.ScalarAsync<string>(
            "SELECT idempotency_token FROM webhooks.inbound_webhooks WHERE provider_sid = @callSid", new { callSid }));
    }
}
