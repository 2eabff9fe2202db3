using System.Net;
using System.Xml.Linq;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests.Capture;

public sealed class CaptureTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    [Fact]
    public async Task Incoming_DuringBusinessHours_RingsTheScreenedRingGroup()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var call = new Calls(host);

        var response = await call.IncomingAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType!.MediaType);
        var dial = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Dial")!;
        Assert.Equal(WebhooksHost.PublicBaseUrl + "/twilio/voice/dial-complete#rc=3&rp=ct,rt,5xx", dial.Attribute("action")!.Value);
        Assert.Equal(["+13125550100", "+13125550101"], dial.Elements("Number").Select(n => n.Value));
        Assert.All(dial.Elements("Number"), n => Assert.Equal(WebhooksHost.PublicBaseUrl + "/twilio/voice/screen#rc=3&rp=ct,rt,5xx", n.Attribute("url")!.Value));
    }

    [Theory]
    [InlineData("no-answer")]
    [InlineData("busy")]
    [InlineData("failed")]
    public async Task DialComplete_RingGroupDidNotAnswer_TakesVoicemailAndPublishesMissedCall(string dialCallStatus)
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var call = new Calls(host);
        await call.IncomingAsync();

        var response = await call.DialCompleteAsync(dialCallStatus);

        var twiml = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
        Assert.NotNull(twiml.Element("Record"));
        var missed = Assert.Single(await host.Events.WaitForAsync<MissedCallCaptured>(e => e.CallSid == call.CallSid));
        Assert.Equal(call.From, missed.Caller);
        Assert.Equal(WebhooksHost.ShopLine, missed.ShopLine);
        Assert.Equal(dialCallStatus, missed.Reason);
        Assert.False(missed.AfterHours);
        Assert.False(missed.CallerWithheld);
    }

    [Fact]
    public async Task DialComplete_Answered_HangsUpAndPublishesNothing()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var call = new Calls(host);
        await call.IncomingAsync();

        var response = await call.DialCompleteAsync("completed");
        await call.StatusAsync("completed", 5, duration: 240);

        Assert.NotNull(XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Hangup"));
        Assert.Equal("answered", (await host.QueryAsync<string>("SELECT outcome FROM webhooks.calls WHERE call_sid = @CallSid", call)).Single());
        await AssertNoEventsAsync(call.CallSid);
    }

    [Fact]
    public async Task Incoming_AfterHours_GreetsTakesVoicemailAndPublishesMissedCall()
    {
        host.Clock.Now = WebhooksHost.AfterHours;
        var call = new Calls(host);

        var response = await call.IncomingAsync();

        var twiml = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
        Assert.Null(twiml.Element("Dial"));
        Assert.Contains("closed", twiml.Element("Say")!.Value, StringComparison.Ordinal);
        Assert.Equal(WebhooksHost.PublicBaseUrl + "/twilio/voice/recording#rc=3&rp=ct,rt,5xx", twiml.Element("Record")!.Attribute("recordingStatusCallback")!.Value);
        var missed = Assert.Single(await host.Events.WaitForAsync<MissedCallCaptured>(e => e.CallSid == call.CallSid));
        Assert.True(missed.AfterHours);
        Assert.Equal("after-hours", missed.Reason);
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(19, false)]
    public async Task Status_CallerHungUpWhileRinging_PublishesAbandonedCall(int duration, bool isShort)
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var call = new Calls(host);
        await call.IncomingAsync();

        await call.StatusAsync("completed", 3, duration);

        var abandoned = Assert.Single(await host.Events.WaitForAsync<AbandonedCallCaptured>(e => e.CallSid == call.CallSid));
        Assert.Equal(duration, abandoned.DurationSeconds);
        Assert.Equal(isShort, abandoned.IsShortAbandon);
        Assert.Equal(call.From, abandoned.Caller);
    }

    [Fact]
    public async Task Status_AfterAMissedCallWasPublished_DoesNotAlsoPublishAbandoned()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var call = new Calls(host);
        await call.IncomingAsync();
        await call.DialCompleteAsync("no-answer");

        await call.StatusAsync("completed", 4, 40);

        await host.Events.WaitForAsync<MissedCallCaptured>(e => e.CallSid == call.CallSid);
        Assert.Equal("missed", (await host.QueryAsync<string>("SELECT outcome FROM webhooks.calls WHERE call_sid = @CallSid", call)).Single());
        Assert.Empty(host.Events.All<AbandonedCallCaptured>(e => e.CallSid == call.CallSid));
    }

    [Fact]
    public async Task Status_OlderCallbackArrivesLast_DoesNotOverwriteNewerState()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var call = new Calls(host);
        await call.IncomingAsync();

        await call.StatusAsync("completed", 3, 12);
        await call.StatusAsync("in-progress", 2);
        await call.StatusAsync("ringing", 1);

        var state = (await host.QueryAsync<(string Status, int Sequence)>(
            "SELECT status, status_sequence FROM webhooks.calls WHERE call_sid = @CallSid", call)).Single();
        Assert.Equal(("completed", 3), state);
        Assert.Single(await host.Events.WaitForAsync<AbandonedCallCaptured>(e => e.CallSid == call.CallSid));
    }

    [Fact]
    public async Task Incoming_FromStaffNumber_IsRecordedAsInternalNotMissed()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var call = new Calls(host, from: WebhooksHost.StaffCell);
        await call.IncomingAsync();

        await call.DialCompleteAsync("no-answer");
        await call.StatusAsync("completed", 4, 30);

        var row = (await host.QueryAsync<(bool Internal, string Outcome)>("SELECT internal, outcome FROM webhooks.calls WHERE call_sid = @CallSid", call)).Single();
        Assert.Equal((true, "internal"), row);
        await AssertNoEventsAsync(call.CallSid);
    }

    [Fact]
    public async Task Incoming_WithheldCallerId_IsCapturedAndFlagged()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var call = new Calls(host, from: "anonymous");
        await call.IncomingAsync();

        await call.DialCompleteAsync("no-answer");

        var missed = Assert.Single(await host.Events.WaitForAsync<MissedCallCaptured>(e => e.CallSid == call.CallSid));
        Assert.True(missed.CallerWithheld);
        Assert.Equal("anonymous", missed.Caller);
    }

    [Fact]
    public async Task Voicemail_TranscriptionBeforeRecording_RidesOnTheVoicemailEvent()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var call = new Calls(host);
        var recordingSid = Sids.Recording();
        await call.IncomingAsync();
        await call.DialCompleteAsync("no-answer");

        await call.TranscriptionAsync(recordingSid, "Water heater is leaking, please call back");
        await call.RecordingAsync(recordingSid, duration: 21);

        var voicemail = Assert.Single(await host.Events.WaitForAsync<VoicemailCaptured>(e => e.RecordingSid == recordingSid));
        Assert.Equal("Water heater is leaking, please call back", voicemail.TranscriptionText);
        Assert.Equal(21, voicemail.DurationSeconds);
        Assert.Equal(call.From, voicemail.Caller);
        Assert.Empty(host.Events.All<VoicemailTranscribed>(e => e.RecordingSid == recordingSid));
    }

    [Fact]
    public async Task Voicemail_TranscriptionAfterRecording_FollowsAsItsOwnEvent()
    {
        host.Clock.Now = WebhooksHost.AfterHours;
        var call = new Calls(host);
        var recordingSid = Sids.Recording();
        await call.IncomingAsync();

        await call.RecordingAsync(recordingSid);
        await call.TranscriptionAsync(recordingSid, "No heat upstairs");

        var voicemail = Assert.Single(await host.Events.WaitForAsync<VoicemailCaptured>(e => e.RecordingSid == recordingSid));
        Assert.Null(voicemail.TranscriptionText);
        Assert.True(voicemail.AfterHours);
        var transcribed = Assert.Single(await host.Events.WaitForAsync<VoicemailTranscribed>(e => e.RecordingSid == recordingSid));
        Assert.Equal("No heat upstairs", transcribed.Text);
        Assert.Equal(WebhooksHost.ShopLine, transcribed.ShopLine);
        Assert.True(transcribed.AfterHours);
        Assert.Equal(voicemail.CorrelationId, transcribed.CorrelationId);
    }

    [Fact]
    public async Task Screen_NoKeyPressed_HangsUpTheLegSoVoicemailBoxesDoNotAnswer()
    {
        var noKey = await host.Twilio.PostAsync("/twilio/voice/screen-result", ("CallSid", Sids.Call()), ("Digits", ""));
        var key = await host.Twilio.PostAsync("/twilio/voice/screen-result", ("CallSid", Sids.Call()), ("Digits", "1"));
        var whisper = await host.Twilio.PostAsync("/twilio/voice/screen", ("CallSid", Sids.Call()));

        Assert.NotNull(XDocument.Parse(await noKey.Content.ReadAsStringAsync()).Root!.Element("Hangup"));
        Assert.Empty(XDocument.Parse(await key.Content.ReadAsStringAsync()).Root!.Elements());
        Assert.Equal("1", XDocument.Parse(await whisper.Content.ReadAsStringAsync()).Root!.Element("Gather")!.Attribute("numDigits")!.Value);
    }

    [Fact]
    public async Task SmsIncoming_IsPublishedWithE164AndHelpIsAnswered()
    {
        var messageSid = Sids.Message();
        var from = Sids.Phone();

        var response = await host.Twilio.PostAsync("/twilio/sms/incoming",
            ("MessageSid", messageSid), ("From", from), ("To", "(312) 555-0000"), ("Body", " help "), ("NumMedia", "0"));

        Assert.Equal("Reply STOP to opt out. For help call us back at this number.",
            XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Message")!.Value);
        var sms = Assert.Single(await host.Events.WaitForAsync<InboundSmsReceived>(e => e.MessageSid == messageSid));
        Assert.Equal(" help ", sms.Body);
        Assert.Equal(WebhooksHost.ShopLine, sms.ShopLine);
        Assert.Equal(from, sms.From);
    }

    [Fact]
    public async Task SmsStatus_OutOfOrder_PublishesOnlyForwardMovesWithTheErrorCode()
    {
        var messageSid = Sids.Message();

        await host.Twilio.PostAsync("/twilio/sms/status",
            ("MessageSid", messageSid), ("MessageStatus", "failed"), ("ErrorCode", "21610"), ("To", "+13125551234"), ("From", WebhooksHost.ShopLine));
        await host.Twilio.PostAsync("/twilio/sms/status", ("MessageSid", messageSid), ("MessageStatus", "sent"));
        await host.Twilio.PostAsync("/twilio/sms/status", ("MessageSid", messageSid), ("MessageStatus", "queued"));

        var reported = Assert.Single(await host.Events.WaitForAsync<MessageStatusReported>(e => e.MessageSid == messageSid));
        Assert.Equal(("failed", 21610), (reported.Status, reported.ErrorCode));
        Assert.Equal(("+13125551234", WebhooksHost.ShopLine), (reported.To, reported.ShopLine));
        Assert.Equal("failed", (await host.QueryAsync<string>("SELECT status FROM webhooks.messages WHERE message_sid = @messageSid", new { messageSid })).Single());
        Assert.Equal(3, await host.StoredWebhooksAsync(messageSid));
    }

    [Fact]
    public async Task AttemptStatus_IsPublishedForTheOrchestrator()
    {
        var callSid = Sids.Call();

        var response = await host.Twilio.PostAsync("/twilio/voice/attempt-status",
            ("CallSid", callSid), ("CallStatus", "no-answer"), ("SequenceNumber", "2"), ("CallDuration", "0"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var status = Assert.Single(await host.Events.WaitForAsync<CallbackAttemptStatusReported>(e => e.CallSid == callSid));
        Assert.Equal(("no-answer", 2), (status.Status, status.SequenceNumber));
    }

    [Fact]
    public async Task AttemptStatus_WithTheAttemptIdInItsSignedQuery_CarriesItToTheOrchestrator()
    {
        var callSid = Sids.Call();
        var attemptId = Guid.NewGuid();

        // Signed over the full URL with its query, as Twilio signs it.
        var response = await host.Twilio.PostAsync($"/twilio/voice/attempt-status?attempt={attemptId}", ("CallSid", callSid), ("CallStatus", "ringing"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var status = Assert.Single(await host.Events.WaitForAsync<CallbackAttemptStatusReported>(e => e.CallSid == callSid));
        Assert.Equal(attemptId, status.AttemptId);
    }

    [Fact]
    public async Task Connect_BridgesTheCsrToTheCustomerFromTheShopLine()
    {
        var response = await host.Twilio.PostAsync("/twilio/voice/connect?customer=%2B13125551234&callerId=%2B13125550000",
            ("CallSid", Sids.Call()), ("CallStatus", "in-progress"));

        var dial = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Dial")!;
        Assert.Equal("+13125550000", dial.Attribute("callerId")!.Value);
        Assert.Equal("+13125551234", dial.Element("Number")!.Value);
    }

    [Fact]
    public async Task Connect_WithoutRecord_DoesNotRecord_AndFollowsEveryStepOfTheCustomerLeg()
    {
        var response = await host.Twilio.PostAsync("/twilio/voice/connect?customer=%2B13125551234&callerId=%2B13125550000",
            ("CallSid", Sids.Call()), ("CallStatus", "in-progress"));

        var dial = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Dial")!;
        Assert.Null(dial.Attribute("record"));
        var number = dial.Element("Number")!;
        Assert.Null(number.Attribute("url"));
        Assert.Equal(WebhooksHost.PublicBaseUrl + "/twilio/voice/attempt-status#rc=3&rp=ct,rt,5xx", number.Attribute("statusCallback")!.Value);
        Assert.Equal("initiated ringing answered completed", number.Attribute("statusCallbackEvent")!.Value);
    }

    [Fact]
    public async Task Connect_WithRecord_RecordsTheBridge_AfterTheCustomerHearsTheNotice()
    {
        var response = await host.Twilio.PostAsync("/twilio/voice/connect?customer=%2B13125551234&callerId=%2B13125550000&record=true",
            ("CallSid", Sids.Call()), ("CallStatus", "in-progress"));

        var dial = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Dial")!;
        Assert.Equal("record-from-answer-dual", dial.Attribute("record")!.Value);
        Assert.Equal(WebhooksHost.PublicBaseUrl + "/twilio/voice/callback-recording#rc=3&rp=ct,rt,5xx", dial.Attribute("recordingStatusCallback")!.Value);
        var number = dial.Element("Number")!;
        Assert.Equal("+13125551234", number.Value);
        Assert.Equal(WebhooksHost.PublicBaseUrl + "/twilio/voice/recording-notice#rc=3&rp=ct,rt,5xx", number.Attribute("url")!.Value);
        Assert.Equal("initiated ringing answered completed", number.Attribute("statusCallbackEvent")!.Value);
    }

    [Fact]
    public async Task RecordingNotice_SaysTheNoticeAndThenBridges()
    {
        var response = await host.Twilio.PostAsync("/twilio/voice/recording-notice",
            ("CallSid", Sids.Call()), ("ParentCallSid", Sids.Call()), ("CallStatus", "in-progress"), ("To", "+13125551234"));

        var twiml = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
        Assert.Equal("This call may be recorded for quality.", Assert.Single(twiml.Elements()).Value);
        Assert.Equal("Say", twiml.Elements().Single().Name.LocalName);
    }

    [Fact]
    public async Task CallbackRecording_Completed_PublishesCallbackRecordingCaptured_ForTheCsrLeg_Once()
    {
        var csrLeg = Sids.Call();
        var recordingSid = Sids.Recording();
        (string, string)[] form =
        [
            ("AccountSid", "AC00000000000000000000000000000001"), ("CallSid", csrLeg), ("RecordingSid", recordingSid),
            ("RecordingUrl", $"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{recordingSid}"),
            ("RecordingStatus", "completed"), ("RecordingDuration", "95"), ("RecordingChannels", "2"), ("RecordingSource", "DialVerb"),
        ];

        Assert.Equal(HttpStatusCode.NoContent, (await host.Twilio.PostAsync("/twilio/voice/callback-recording", form)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await host.Twilio.PostAsync("/twilio/voice/callback-recording", form)).StatusCode);

        var rows = await Eventually.ValueAsync(
            () => host.QueryAsync<(string Type, string Payload, bool Published)>(
                "SELECT message_type, payload::text, published_at IS NOT NULL FROM webhooks.outbox WHERE payload->>'callSid' = @csrLeg", new { csrLeg }),
            found => found.Count > 0 && found.All(r => r.Published), because: "the recording event is relayed");
        var (type, payload, _) = Assert.Single(rows);
        Assert.Equal(typeof(CallbackRecordingCaptured).FullName, type);
        var captured = System.Text.Json.JsonSerializer.Deserialize<CallbackRecordingCaptured>(payload, Json)!;
        Assert.Equal((recordingSid, 95), (captured.RecordingSid, captured.DurationSeconds));
        Assert.Equal(Contracts.CorrelationIds.For(csrLeg), captured.CorrelationId);
        Assert.EndsWith(recordingSid, captured.RecordingUrl, StringComparison.Ordinal);
    }

    private async Task AssertNoEventsAsync(string callSid)
    {
        // Note: the outbox is the only way out; an empty outbox for the call proves no event will ever be published.
        var queued = await host.ScalarAsync<long>(
            "SELECT count(*) FROM webhooks.outbox WHERE payload->>'callSid' = @callSid", new { callSid });
        Assert.Equal(0, queued);
    }
}
