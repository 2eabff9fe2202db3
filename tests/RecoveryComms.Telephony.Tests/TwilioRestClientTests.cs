using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Telephony.Rest;
using RecoveryComms.Testing;

namespace RecoveryComms.Telephony.Tests;

public sealed class TwilioRestClientTests : IDisposable
{
    private const string AccountSid = "AC11111111111111111111111111111111";
    private readonly TwilioApiSandbox _twilio = TwilioApiSandbox.Start();
    private readonly ServiceProvider _services;

    public TwilioRestClientTests() => _services = Services(_twilio, requestTimeout: null);

    private ITwilioRestClient Client => _services.GetRequiredService<ITwilioRestClient>();

    private static ServiceProvider Services(TwilioApiSandbox twilio, TimeSpan? requestTimeout)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Twilio:AccountSid"] = AccountSid,
            ["Twilio:AuthToken"] = "secret-token",
            ["Twilio:ApiBaseUrl"] = twilio.BaseUrl,
            ["Twilio:PublicBaseUrl"] = "https://hooks.example",
        };
        if (requestTimeout is not null)
        {
            settings["Twilio:RequestTimeout"] = requestTimeout.Value.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddTwilio(retryBaseDelay: TimeSpan.FromMilliseconds(10))
            .BuildServiceProvider();
    }

    [Fact]
    public async Task CreateMessageAsync_SendsBasicAuthAndFormBody_ReturnsSid()
    {
        var message = await Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "Sorry we missed you & your call", From: "+15550001111"),
            CancellationToken.None);

        Assert.StartsWith("SM", message.Sid, StringComparison.Ordinal);
        var request = Assert.Single(_twilio.Requests("Messages.json")).RequestMessage;
        Assert.Equal($"/2010-04-01/Accounts/{AccountSid}/Messages.json", request.Path);
        var expectedAuth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:secret-token"));
        Assert.Equal(expectedAuth, request.Headers!["Authorization"].Single());
        Assert.Equal("To=%2B15551234567&Body=Sorry+we+missed+you+%26+your+call&From=%2B15550001111", request.Body);
    }

    [Fact]
    public async Task CreateCallAsync_WithStatusCallback_RepeatsStatusCallbackEvent()
    {
        var call = await Client.CreateCallAsync(
            new CreateCallRequest("+15552223333", "+15550001111", new Uri("https://hooks.example/twilio/voice/connect?item=7"),
                new Uri("https://hooks.example/twilio/voice/attempt-status#rc=3&rp=ct,rt,5xx"), 25),
            CancellationToken.None);

        Assert.StartsWith("CA", call.Sid, StringComparison.Ordinal);
        var body = Assert.Single(_twilio.Requests("Calls.json")).RequestMessage.Body!;
        Assert.Contains("Url=https%3A%2F%2Fhooks.example%2Ftwilio%2Fvoice%2Fconnect%3Fitem%3D7", body, StringComparison.Ordinal);
        Assert.Contains("StatusCallback=https%3A%2F%2Fhooks.example%2Ftwilio%2Fvoice%2Fattempt-status%23rc%3D3%26rp%3Dct%2Crt%2C5xx", body, StringComparison.Ordinal);
        Assert.Equal(4, body.Split('&').Count(p => p.StartsWith("StatusCallbackEvent=", StringComparison.Ordinal)));
        Assert.Contains("Timeout=25", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateMessageAsync_UnsubscribedRecipient_ThrowsTypedErrorWithoutRetry()
    {
        _twilio.FailNext("Messages.json", 1, HttpStatusCode.BadRequest, 21610, "Attempt to send to unsubscribed recipient");

        var error = await Assert.ThrowsAsync<TwilioApiException>(() => Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", MessagingServiceSid: "MG123"), CancellationToken.None));

        Assert.Equal(400, error.HttpStatus);
        Assert.Equal(21610, error.Code);
        Assert.True(error.IsUnsubscribedRecipient);
        Assert.Equal("https://www.twilio.com/docs/errors/21610", error.MoreInfo);
        Assert.Single(_twilio.Requests("Messages.json"));
    }

    [Fact]
    public async Task CreateMessageAsync_TooManyRequests_IsNotRetried()
    {
        _twilio.FailNext("Messages.json", 1, HttpStatusCode.TooManyRequests, 20429, "Too Many Requests");

        var error = await Assert.ThrowsAsync<TwilioApiException>(() => Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", From: "+15550001111"), CancellationToken.None));

        Assert.Equal((429, (int?)20429), (error.HttpStatus, error.Code));
        Assert.Single(_twilio.Requests("Messages.json"));
    }

    [Fact]
    public async Task CreateMessageAsync_ServerErrorAfterAccepting_OutcomeUnknownWithoutRetry()
    {
        _twilio.AcceptThenFailNext(1, HttpStatusCode.InternalServerError);

        var error = await Assert.ThrowsAsync<TwilioOutcomeUnknownException>(() => Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", From: "+15550001111"), CancellationToken.None));

        Assert.Equal(500, error.HttpStatus);
        Assert.IsType<TwilioApiException>(error.InnerException);
        Assert.Single(_twilio.Requests("Messages.json"));
        Assert.Single(_twilio.Messages);
    }

    [Fact]
    public async Task CreateMessageAsync_AcceptedThenConnectionDropped_OutcomeUnknownWithoutRetry()
    {
        _twilio.AcceptThenDropNext();

        var error = await Assert.ThrowsAsync<TwilioOutcomeUnknownException>(() => Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", From: "+15550001111"), CancellationToken.None));

        Assert.Null(error.HttpStatus);
        Assert.Single(_twilio.Requests("Messages.json"));
        Assert.Single(_twilio.Messages);
    }

    [Fact]
    public async Task CreateMessageAsync_AnswerSlowerThanTheRequestTimeout_OutcomeUnknownWithoutRetry()
    {
        await using var services = Services(_twilio, requestTimeout: TimeSpan.FromSeconds(2));
        var client = services.GetRequiredService<ITwilioRestClient>();
        // A first request warms the sandbox up, so only the stall below is slower than the timeout.
        await client.CreateMessageAsync(new CreateMessageRequest("+15550000000", "warm-up", From: "+15550001111"), CancellationToken.None);
        _twilio.AcceptThenStallNext(1, TimeSpan.FromSeconds(4));

        var error = await Assert.ThrowsAsync<TwilioOutcomeUnknownException>(() => client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", From: "+15550001111"), CancellationToken.None));

        Assert.IsType<Polly.Timeout.TimeoutRejectedException>(error.InnerException);
        // WireMock logs a request once it has answered: wait for the stalled answer, then count.
        await Eventually.ValueAsync(() => Task.FromResult(_twilio.Messages.Count), count => count == 2, because: "the stalled message is accepted");
        await Eventually.ValueAsync(() => Task.FromResult(_twilio.Creates("Messages.json").Count), count => count == 2, because: "the stalled request is logged");
        Assert.Single(_twilio.Creates("Messages.json"), e => e.RequestMessage.Body!.Contains("To=%2B15551234567", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CreateMessageAsync_WithValidityPeriod_SendsWholeSeconds()
    {
        await Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", From: "+15550001111", ValidityPeriod: TimeSpan.FromMinutes(10)), CancellationToken.None);

        Assert.EndsWith("&ValidityPeriod=600", Assert.Single(_twilio.Requests("Messages.json")).RequestMessage.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateCallAsync_TooManyRequests_RetriesUntilCreated()
    {
        _twilio.FailNext("Calls.json", 2, HttpStatusCode.TooManyRequests, 20429, "Too Many Requests");

        var call = await Client.CreateCallAsync(
            new CreateCallRequest("+15552223333", "+15550001111", new Uri("https://hooks.example/c")), CancellationToken.None);

        Assert.StartsWith("CA", call.Sid, StringComparison.Ordinal);
        Assert.Equal(3, _twilio.Requests("Calls.json").Count);
    }

    [Fact]
    public async Task CreateCallAsync_ServerError_OutcomeUnknownWithoutRetry()
    {
        _twilio.FailNext("Calls.json", 10, HttpStatusCode.ServiceUnavailable, null, "Service Unavailable");

        var error = await Assert.ThrowsAsync<TwilioOutcomeUnknownException>(() => Client.CreateCallAsync(
            new CreateCallRequest("+15552223333", "+15550001111", new Uri("https://hooks.example/c")), CancellationToken.None));

        Assert.Equal(503, error.HttpStatus);
        Assert.Single(_twilio.Requests("Calls.json"));
    }

    [Fact]
    public async Task ListMessagesAsync_ToANumberSinceADay_SendsTwiliosFiltersAndReadsTheMessagesNewestFirst()
    {
        await AcceptAsync("+15551234567", "yesterday", new DateTimeOffset(2026, 11, 17, 23, 59, 0, TimeSpan.Zero));
        await AcceptAsync("+15551234567", "first & today", new DateTimeOffset(2026, 11, 18, 17, 0, 3, TimeSpan.Zero));
        await AcceptAsync("+15559999999", "someone else", new DateTimeOffset(2026, 11, 18, 17, 0, 4, TimeSpan.Zero));
        await AcceptAsync("+15551234567", "second today", new DateTimeOffset(2026, 11, 18, 17, 5, 0, TimeSpan.Zero));

        var messages = await Client.ListMessagesAsync(new ListMessagesRequest("+15551234567", new DateOnly(2026, 11, 18)), CancellationToken.None);

        var request = _twilio.Requests("Messages.json").Single(e => e.RequestMessage.Method == "GET").RequestMessage;
        Assert.Equal($"/2010-04-01/Accounts/{AccountSid}/Messages.json", request.Path);
        Assert.Equal("To=%2B15551234567&DateSent%3E=2026-11-18&PageSize=200", request.RawQuery?.TrimStart('?'));
        Assert.Equal(["second today", "first & today"], messages.Select(m => m.Body));
        var first = messages[1];
        Assert.Equal(_twilio.Messages[1].Sid, first.Sid);
        Assert.Equal(("+15551234567", "+15550001111", "sent", "outbound-api"), (first.To, first.From, first.Status, first.Direction));
        Assert.Equal(new DateTimeOffset(2026, 11, 18, 17, 0, 3, TimeSpan.Zero), first.DateCreated);
        Assert.Equal(new DateTimeOffset(2026, 11, 18, 17, 0, 3, TimeSpan.Zero), first.DateSent);
        Assert.Null(first.ErrorCode);
    }

    private const string CallSid = "CA0123456789abcdef0123456789abcdef";

    /// <summary>A call as Twilio's "Fetch a Call resource" answers it (duration a string, dates RFC 2822).</summary>
    private const string CallJson = """
        {"sid": "CA0123456789abcdef0123456789abcdef", "parent_call_sid": null, "to": "+15552223333", "from": "+15550001111",
         "status": "completed", "direction": "outbound-api", "answered_by": null, "duration": "15",
         "date_created": "Wed, 18 Nov 2026 17:00:00 +0000", "start_time": "Wed, 18 Nov 2026 17:00:01 +0000",
         "end_time": "Wed, 18 Nov 2026 17:00:16 +0000", "queue_time": "0", "price": "-0.0085", "price_unit": "USD"}
        """;

    private void AnswerGet(string path, int status, string body, string? scenario = null)
    {
        var given = _twilio.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath(path).UsingGet()).AtPriority(1);
        if (scenario is not null)
        {
            given = given.InScenario(scenario).WillSetStateTo("answered");
        }

        given.RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));
    }

    [Fact]
    public async Task GetCallAsync_KnownCall_ReadsItsStatusTimesAndDuration()
    {
        AnswerGet($"/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json", 200, CallJson);

        var call = await Client.GetCallAsync(CallSid, CancellationToken.None);

        Assert.NotNull(call);
        Assert.Equal((CallSid, (string?)null, "+15552223333", "+15550001111", "completed", "outbound-api"), (call.Sid, call.ParentCallSid, call.To, call.From, call.Status, call.Direction));
        Assert.Equal(15, call.DurationSeconds);
        Assert.True(call.Ended);
        Assert.Equal(new DateTimeOffset(2026, 11, 18, 17, 0, 1, TimeSpan.Zero), call.StartTime);
        Assert.Equal(new DateTimeOffset(2026, 11, 18, 17, 0, 16, TimeSpan.Zero), call.EndTime);
    }

    [Fact]
    public async Task GetCallAsync_UnknownCall_ReturnsNull()
    {
        AnswerGet($"/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json", 404,
            "{\"code\": 20404, \"message\": \"The requested resource was not found\", \"more_info\": \"https://www.twilio.com/docs/errors/20404\", \"status\": 404}");

        Assert.Null(await Client.GetCallAsync(CallSid, CancellationToken.None));
    }

    [Theory]
    [InlineData("SM0123456789abcdef0123456789abcdef")]
    [InlineData("CA0123456789abcdef0123456789abcdef/../../Messages")]
    public async Task GetCallAsync_NotACallSid_ThrowsWithoutARequest(string sid)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client.GetCallAsync(sid, CancellationToken.None));
        Assert.Empty(_twilio.Server.LogEntries);
    }

    [Fact]
    public async Task GetCallAsync_ServerErrorOnce_IsRetried()
    {
        AnswerGet($"/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json", 200, CallJson);
        AnswerGet($"/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json", 503, "{\"status\": 503, \"message\": \"Service Unavailable\"}", "get-503");

        var call = await Client.GetCallAsync(CallSid, CancellationToken.None);

        Assert.Equal("completed", call?.Status);
        Assert.Equal(2, _twilio.Server.LogEntries.Count);
    }

    [Fact]
    public async Task ListCallsAsync_ToFromSinceADay_SendsTwiliosFiltersAndReadsTheCalls()
    {
        _twilio.Clock = () => new DateTimeOffset(2026, 11, 18, 17, 0, 0, TimeSpan.Zero);
        var placed = await Client.CreateCallAsync(new CreateCallRequest("+15552223333", "+15550001111", new Uri("https://hooks.example/c")), CancellationToken.None);
        await Client.CreateCallAsync(new CreateCallRequest("+15559999999", "+15550001111", new Uri("https://hooks.example/c")), CancellationToken.None);

        var calls = await Client.ListCallsAsync(new ListCallsRequest("+15552223333", "+15550001111", new DateOnly(2026, 11, 18)), CancellationToken.None);

        var request = _twilio.Requests("Calls.json").Single(e => e.RequestMessage.Method == "GET").RequestMessage;
        Assert.Equal("To=%2B15552223333&From=%2B15550001111&StartTime%3E=2026-11-18&PageSize=50", request.RawQuery?.TrimStart('?'));
        var call = Assert.Single(calls);
        Assert.Equal((placed.Sid, "queued", "outbound-api"), (call.Sid, call.Status, call.Direction));
        Assert.Equal(new DateTimeOffset(2026, 11, 18, 17, 0, 0, TimeSpan.Zero), call.DateCreated);
        Assert.Null(call.DurationSeconds);
        Assert.False(call.Ended);
    }

    [Fact]
    public async Task ListCallsAsync_ByParent_ReadsTheChildLegs()
    {
        var parent = await Client.CreateCallAsync(new CreateCallRequest("+15552223333", "+15550001111", new Uri("https://hooks.example/c")), CancellationToken.None);
        var child = _twilio.AddChildCall(parent.Sid, "+15553334444", "no-answer");

        var calls = await Client.ListCallsAsync(new ListCallsRequest(ParentCallSid: parent.Sid), CancellationToken.None);

        var leg = Assert.Single(calls);
        Assert.Equal((child, parent.Sid, "no-answer", "outbound-dial"), (leg.Sid, leg.ParentCallSid, leg.Status, leg.Direction));
    }

    [Fact]
    public async Task ListMessagesAsync_MoreThanOnePage_FollowsNextPageUriUpToMaxResults()
    {
        for (var i = 0; i < 5; i++)
        {
            await AcceptAsync("+15551234567", $"text {i}", new DateTimeOffset(2026, 11, 18, 17, i, 0, TimeSpan.Zero));
        }

        var firstTwo = await Client.ListMessagesAsync(new ListMessagesRequest("+15551234567", new DateOnly(2026, 11, 18), MaxResults: 2), CancellationToken.None);
        _twilio.Server.ResetLogEntries();
        _twilio.MaxPageSize = 2;
        var paged = await Client.ListMessagesAsync(new ListMessagesRequest("+15551234567", new DateOnly(2026, 11, 18), MaxResults: 10), CancellationToken.None);

        Assert.Equal(["text 4", "text 3"], firstTwo.Select(m => m.Body));
        Assert.Equal(["text 4", "text 3", "text 2", "text 1", "text 0"], paged.Select(m => m.Body));
        Assert.Equal(3, _twilio.Requests("Messages.json").Count);
    }

    [Fact]
    public async Task ListMessagesAsync_ServerErrorOnce_IsRetried()
    {
        _twilio.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/2010-04-01/Accounts/*/Messages.json").UsingGet())
            .AtPriority(1).InScenario("list-503").WillSetStateTo("answered")
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(503).WithBody("{\"status\": 503, \"message\": \"Service Unavailable\"}"));

        var messages = await Client.ListMessagesAsync(new ListMessagesRequest("+15551234567", new DateOnly(2026, 11, 18)), CancellationToken.None);

        Assert.Empty(messages);
        Assert.Equal(2, _twilio.Requests("Messages.json").Count);
    }

    [Fact]
    public async Task ListMessagesAsync_Unauthorized_ThrowsTypedError()
    {
        _twilio.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/2010-04-01/Accounts/*/Messages.json").UsingGet())
            .AtPriority(1)
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(401)
                .WithBody("{\"status\": 401, \"message\": \"Authenticate\", \"code\": 20003, \"more_info\": \"https://www.twilio.com/docs/errors/20003\"}"));

        var error = await Assert.ThrowsAsync<TwilioApiException>(() =>
            Client.ListMessagesAsync(new ListMessagesRequest("+15551234567", new DateOnly(2026, 11, 18)), CancellationToken.None));

        Assert.Equal((401, (int?)20003), (error.HttpStatus, error.Code));
        Assert.Single(_twilio.Requests("Messages.json"));
    }

    private const string RecordingSid = "RE0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task OpenRecordingAsync_BuildsTheMediaUrlFromTheSid_AndStreamsTheMp3()
    {
        using var audio = await Client.OpenRecordingAsync(RecordingSid, CancellationToken.None);

        Assert.NotNull(audio);
        Assert.Equal("audio/mpeg", audio.ContentType);
        // Note: WireMock answers in chunks, so no length is known here; Twilio sends a Content-Length, which is passed on.
        using var copy = new MemoryStream();
        await audio.Content.CopyToAsync(copy);
        Assert.Equal(SilentMp3.Create(), copy.ToArray());
        var request = Assert.Single(_twilio.Requests(".mp3")).RequestMessage;
        Assert.Equal(("GET", $"/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.mp3"), (request.Method, request.Path));
        var expectedAuth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:secret-token"));
        Assert.Equal(expectedAuth, request.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task OpenRecordingAsync_NoSuchRecording_ReturnsNullWithoutRetry()
    {
        _twilio.ForgetRecording(RecordingSid);

        var audio = await Client.OpenRecordingAsync(RecordingSid, CancellationToken.None);

        Assert.Null(audio);
        Assert.Single(_twilio.Requests(".mp3"));
    }

    [Fact]
    public async Task OpenRecordingAsync_TooManyRequestsThenServerError_IsRetried()
    {
        _twilio.FailRecordingsNext(1, HttpStatusCode.TooManyRequests);
        _twilio.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath($"/2010-04-01/Accounts/*/Recordings/{RecordingSid}.mp3").UsingGet())
            .AtPriority(2).InScenario("recording-503").WillSetStateTo("answered")
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(503).WithBody("{\"status\": 503, \"message\": \"Service Unavailable\"}"));

        using var audio = await Client.OpenRecordingAsync(RecordingSid, CancellationToken.None);

        Assert.NotNull(audio);
        Assert.Equal(3, _twilio.Requests(".mp3").Count);
    }

    [Fact]
    public async Task OpenRecordingAsync_ServerErrorEveryTime_ThrowsTypedErrorAfterTheRetries()
    {
        _twilio.FailRecordingsNext(10, HttpStatusCode.ServiceUnavailable);

        var error = await Assert.ThrowsAsync<TwilioApiException>(() => Client.OpenRecordingAsync(RecordingSid, CancellationToken.None));

        Assert.Equal(503, error.HttpStatus);
        Assert.Equal(4, _twilio.Requests(".mp3").Count);
    }

    [Theory]
    [InlineData("RE0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("RE0123456789abcdef0123456789abcde")]
    [InlineData("CA0123456789abcdef0123456789abcdef")]
    [InlineData("RE0123456789abcdef0123456789abcdef/../../Calls")]
    [InlineData("https://evil.example/RE0123456789abcdef0123456789abcdef")]
    public async Task OpenRecordingAsync_NotARecordingSid_IsRejectedBeforeAnyRequest(string sid)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client.OpenRecordingAsync(sid, CancellationToken.None));

        Assert.Empty(_twilio.Server.LogEntries);
    }

    [Fact]
    public void SilentMp3_IsWholeMpeg2LayerIIIFrames()
    {
        var audio = SilentMp3.Create();

        Assert.Equal(0, audio.Length % SilentMp3.FrameBytes);
        Assert.All(audio.Chunk(SilentMp3.FrameBytes), frame => Assert.Equal(new byte[] { 0xFF, 0xF3, 0x18, 0xC0 }, frame[..4]));
    }

    // The fault suite's twilio-faults scenario sets these on the dev sandbox for one number at a time; here each is met
    // by the client the services use, so its retry rules (only what Twilio cannot have done) hold for what the suite counts.
    [Theory]
    [InlineData(SandboxFault.ServerError, 1, 0)]
    [InlineData(SandboxFault.CreatedThenServerError, 1, 1)]
    [InlineData(SandboxFault.TooManyRequests, 1, 0)]
    [InlineData(SandboxFault.Unsubscribed, 1, 0)]
    [InlineData(SandboxFault.InvalidTo, 1, 0)]
    [InlineData(SandboxFault.Slow, 1, 1)]
    public async Task CreateMessageAsync_FaultOnTheNumber_TriedOnce_AndCreatedOnlyWhenTwilioActed(SandboxFault fault, int tries, int created)
    {
        _twilio.SetFault("Messages.json", "+15552223333", fault, TimeSpan.FromMilliseconds(200));

        var error = await Record.ExceptionAsync(() => Client.CreateMessageAsync(new CreateMessageRequest("+15552223333", "hi", From: "+15550001111"), CancellationToken.None));
        await Client.CreateMessageAsync(new CreateMessageRequest("+15554445555", "other number", From: "+15550001111"), CancellationToken.None);

        Assert.Equal(tries, _twilio.Creates("Messages.json").Count(e => e.RequestMessage.Body!.Contains("To=%2B15552223333", StringComparison.Ordinal)));
        Assert.Equal(created, _twilio.Messages.Count(m => m.To == "+15552223333"));
        Assert.Single(_twilio.Messages, m => m.To == "+15554445555");
        switch (fault)
        {
            case SandboxFault.ServerError or SandboxFault.CreatedThenServerError:
                Assert.Equal(500, Assert.IsType<TwilioOutcomeUnknownException>(error).HttpStatus);
                break;
            case SandboxFault.Slow:
                Assert.Null(error);
                break;
            default:
                Assert.Equal(fault switch { SandboxFault.TooManyRequests => 20429, SandboxFault.Unsubscribed => 21610, _ => 21211 },
                    Assert.IsType<TwilioApiException>(error).Code);
                break;
        }
    }

    [Theory]
    [InlineData(SandboxFault.ServerError, 1, 0)]
    [InlineData(SandboxFault.CreatedThenServerError, 1, 1)]
    [InlineData(SandboxFault.TooManyRequests, 4, 0)]
    [InlineData(SandboxFault.InvalidTo, 1, 0)]
    [InlineData(SandboxFault.Slow, 1, 1)]
    public async Task CreateCallAsync_FaultOnTheNumber_RetriedOnlyOn429_AndCreatedOnlyWhenTwilioActed(SandboxFault fault, int tries, int created)
    {
        _twilio.SetFault("Calls.json", "+15552223333", fault, TimeSpan.FromMilliseconds(200));

        var error = await Record.ExceptionAsync(() => Client.CreateCallAsync(
            new CreateCallRequest("+15552223333", "+15550001111", new Uri("https://hooks.example/c")), CancellationToken.None));
        _twilio.ClearFaults("+15552223333");
        await Client.CreateCallAsync(new CreateCallRequest("+15552223333", "+15550001111", new Uri("https://hooks.example/c")), CancellationToken.None);

        Assert.Equal(tries + 1, _twilio.Creates("Calls.json").Count);
        Assert.Equal(created + 1, _twilio.Calls.Count);
        Assert.Equal(fault switch
        {
            SandboxFault.Slow => null,
            SandboxFault.ServerError or SandboxFault.CreatedThenServerError => typeof(TwilioOutcomeUnknownException),
            _ => typeof(TwilioApiException),
        }, error?.GetType());
    }

    private async Task AcceptAsync(string to, string body, DateTimeOffset at)
    {
        _twilio.Clock = () => at;
        await Client.CreateMessageAsync(new CreateMessageRequest(to, body, From: "+15550001111"), CancellationToken.None);
    }

    [Fact]
    public async Task CreateMessageAsync_BothSenders_IsRejectedBeforeSending()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", From: "+15550001111", MessagingServiceSid: "MG1"), CancellationToken.None));

        Assert.Empty(_twilio.Requests("Messages.json"));
    }

    [Fact]
    public async Task CreateCallAsync_WithStatusCallbackAndTimeout_SendsExactlyTwiliosForm()
    {
        await Client.CreateCallAsync(
            new CreateCallRequest("+15552223333", "+15550001111", new Uri("https://hooks.example/c"), new Uri("https://hooks.example/s"), 25), CancellationToken.None);

        Assert.Equal(
            "To=%2B15552223333&From=%2B15550001111&Url=https%3A%2F%2Fhooks.example%2Fc&Method=POST&StatusCallback=https%3A%2F%2Fhooks.example%2Fs"
                + "&StatusCallbackMethod=POST&StatusCallbackEvent=initiated&StatusCallbackEvent=ringing&StatusCallbackEvent=answered"
                + "&StatusCallbackEvent=completed&Timeout=25",
            Assert.Single(_twilio.Requests("Calls.json")).RequestMessage.Body);
    }

    [Fact]
    public async Task CreateMessageAsync_ThroughAMessagingService_SendsItsSidAndTheStatusCallback()
    {
        await Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", MessagingServiceSid: "MG123", StatusCallback: new Uri("https://hooks.example/sms-status")),
            CancellationToken.None);

        Assert.Equal(
            "To=%2B15551234567&Body=hi&MessagingServiceSid=MG123&StatusCallback=https%3A%2F%2Fhooks.example%2Fsms-status",
            Assert.Single(_twilio.Requests("Messages.json")).RequestMessage.Body);
    }

    [Fact]
    public async Task CreateMessageAsync_NoSender_IsRejectedBeforeSending()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>("request", () => Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi"), CancellationToken.None));

        Assert.StartsWith("Give exactly one of From and MessagingServiceSid.", error.Message, StringComparison.Ordinal);
        Assert.Empty(_twilio.Server.LogEntries);
    }

    [Fact]
    public async Task Requests_Null_ThrowNamingTheRequest()
    {
        await Assert.ThrowsAsync<ArgumentNullException>("request", () => Client.CreateCallAsync(null!, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentNullException>("request", () => Client.CreateMessageAsync(null!, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentNullException>("request", () => Client.ListMessagesAsync(null!, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentNullException>("request", () => Client.ListCallsAsync(null!, CancellationToken.None));
    }

    [Fact]
    public async Task Sids_NotTwilios_AreRefusedWithTheirRule()
    {
        var call = await Assert.ThrowsAsync<ArgumentException>("callSid", () => Client.GetCallAsync("CA1", CancellationToken.None));
        var recording = await Assert.ThrowsAsync<ArgumentException>("recordingSid", () => Client.OpenRecordingAsync("RE1", CancellationToken.None));

        Assert.StartsWith("Not a call SID (CA and 32 hex digits).", call.Message, StringComparison.Ordinal);
        Assert.StartsWith("Not a recording SID (RE and 32 lowercase hex digits).", recording.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateMessageAsync_CancelledByTheCaller_IsCancelledNotOutcomeUnknown()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", From: "+15550001111"), cancelled.Token));
    }

    [Fact]
    public async Task CreateMessageAsync_AnswerOfNull_OutcomeUnknown()
    {
        _twilio.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/2010-04-01/Accounts/*/Messages.json").UsingPost()).AtPriority(1)
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(201).WithHeader("Content-Type", "application/json").WithBody("null"));

        var error = await Assert.ThrowsAsync<TwilioOutcomeUnknownException>(() => Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", From: "+15550001111"), CancellationToken.None));

        Assert.Equal("empty answer", Assert.IsType<System.Text.Json.JsonException>(error.InnerException).Message);
    }

    [Fact]
    public async Task GetCallAsync_AnswerOfNull_ThrowsTypedError()
    {
        AnswerGet($"/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json", 200, "null");

        var error = await Assert.ThrowsAsync<TwilioApiException>(() => Client.GetCallAsync(CallSid, CancellationToken.None));

        Assert.Equal((200, "empty answer"), (error.HttpStatus, error.TwilioMessage));
    }

    [Theory]
    [InlineData(200, 200)]
    [InlineData(201, 200)]
    [InlineData(20, 20)]
    public async Task GetCallAsync_ErrorThatIsNotTwiliosJson_KeepsAtMost200CharactersOfIt(int length, int kept)
    {
        var text = "<html>" + new string('x', length - 6);
        AnswerGet($"/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json", 400, text);

        var error = await Assert.ThrowsAsync<TwilioApiException>(() => Client.GetCallAsync(CallSid, CancellationToken.None));

        Assert.Equal((400, (int?)null, text[..kept]), (error.HttpStatus, error.Code, error.TwilioMessage));
    }

    [Fact]
    public async Task GetCallAsync_EmptyParentAndAnsweredBy_AreNull_AndMachineDetectionIsRead()
    {
        AnswerGet($"/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json", 200,
            CallJson.Replace("\"parent_call_sid\": null", "\"parent_call_sid\": \"\"", StringComparison.Ordinal)
                .Replace("\"answered_by\": null", "\"answered_by\": \"\"", StringComparison.Ordinal));
        const string other = "CA0123456789abcdef0123456789abcdee";
        AnswerGet($"/2010-04-01/Accounts/{AccountSid}/Calls/{other}.json", 200,
            CallJson.Replace("\"parent_call_sid\": null", "\"parent_call_sid\": \"CAparent\"", StringComparison.Ordinal)
                .Replace("\"answered_by\": null", "\"answered_by\": \"machine_start\"", StringComparison.Ordinal));

        var empty = await Client.GetCallAsync(CallSid, CancellationToken.None);
        var detected = await Client.GetCallAsync(other, CancellationToken.None);

        Assert.Equal(((string?)null, (string?)null), (empty!.ParentCallSid, empty.AnsweredBy));
        Assert.Equal(("CAparent", "machine_start"), (detected!.ParentCallSid, detected.AnsweredBy));
    }

    [Fact]
    public async Task ListMessagesAsync_APageWithoutMessagesOrNextPage_EndsTheList()
    {
        AnswerGet($"/2010-04-01/Accounts/{AccountSid}/Messages.json", 200, "{\"messages\": null, \"next_page_uri\": \"\"}");

        var messages = await Client.ListMessagesAsync(new ListMessagesRequest("+15551234567", new DateOnly(2026, 11, 18)), CancellationToken.None);

        Assert.Empty(messages);
        Assert.Single(_twilio.Server.LogEntries);
    }

    [Fact]
    public async Task ListMessagesAsync_AMessageWithoutItsFields_ReadsThemAsEmpty()
    {
        AnswerGet($"/2010-04-01/Accounts/{AccountSid}/Messages.json", 200, "{\"messages\": [{\"sid\": \"SM1\"}], \"next_page_uri\": null}");

        var message = Assert.Single(await Client.ListMessagesAsync(new ListMessagesRequest("+15551234567", new DateOnly(2026, 11, 18)), CancellationToken.None));

        Assert.Equal(new MessageRecord("SM1", "", "", "", "", "", null, null, null), message);
    }

    [Fact]
    public async Task ListCallsAsync_APageWithoutCallsOrNextPage_EndsTheList()
    {
        AnswerGet($"/2010-04-01/Accounts/{AccountSid}/Calls.json", 200, "{\"calls\": null, \"next_page_uri\": \"\"}");

        Assert.Empty(await Client.ListCallsAsync(new ListCallsRequest(), CancellationToken.None));
        Assert.Single(_twilio.Server.LogEntries);
    }

    [Fact]
    public async Task ListCallsAsync_ACallWithoutItsFields_ReadsThemAsEmpty()
    {
        AnswerGet($"/2010-04-01/Accounts/{AccountSid}/Calls.json", 200, "{\"calls\": [{\"sid\": \"CA1\"}], \"next_page_uri\": null}");

        var call = Assert.Single(await Client.ListCallsAsync(new ListCallsRequest(), CancellationToken.None));

        Assert.Equal(new CallRecord("CA1", null, "", "", "", "", null, null, null, null, null), call);
    }

    [Fact]
    public async Task ListMessagesAsync_MaxResultsReachedOnAPageBoundary_AsksForNoFurtherPage()
    {
        for (var i = 0; i < 5; i++)
        {
            await AcceptAsync("+15551234567", $"text {i}", new DateTimeOffset(2026, 11, 18, 17, i, 0, TimeSpan.Zero));
        }

        _twilio.MaxPageSize = 2;
        _twilio.Server.ResetLogEntries();

        var messages = await Client.ListMessagesAsync(new ListMessagesRequest("+15551234567", new DateOnly(2026, 11, 18), MaxResults: 2), CancellationToken.None);

        Assert.Equal(2, messages.Count);
        Assert.Single(_twilio.Requests("Messages.json"));
    }

    [Fact]
    public async Task ListCallsAsync_FollowsNextPageUri_UntilMaxResultsWithoutAFurtherPage()
    {
        var calls = $"/2010-04-01/Accounts/{AccountSid}/Calls";
        AnswerGet(calls + ".json", 200, $"{{\"calls\": [{{\"sid\": \"CA1\"}}, {{\"sid\": \"CA2\"}}], \"next_page_uri\": \"{calls}/Page2.json\"}}");
        AnswerGet(calls + "/Page2.json", 200, $"{{\"calls\": [{{\"sid\": \"CA3\"}}, {{\"sid\": \"CA4\"}}], \"next_page_uri\": \"{calls}/Page3.json\"}}");
        AnswerGet(calls + "/Page3.json", 200, "{\"calls\": [{\"sid\": \"CA5\"}], \"next_page_uri\": null}");

        var four = await Client.ListCallsAsync(new ListCallsRequest(MaxResults: 4), CancellationToken.None);
        Assert.Equal(2, _twilio.Server.LogEntries.Count);
        var three = await Client.ListCallsAsync(new ListCallsRequest(MaxResults: 3), CancellationToken.None);
        var all = await Client.ListCallsAsync(new ListCallsRequest(), CancellationToken.None);

        Assert.Equal(["CA1", "CA2", "CA3", "CA4"], four.Select(c => c.Sid));
        Assert.Equal(["CA1", "CA2", "CA3"], three.Select(c => c.Sid));
        Assert.Equal(["CA1", "CA2", "CA3", "CA4", "CA5"], all.Select(c => c.Sid));
    }

    [Theory]
    [InlineData("completed", true)]
    [InlineData("canceled", true)]
    [InlineData("failed", true)]
    [InlineData("busy", true)]
    [InlineData("no-answer", true)]
    [InlineData("queued", false)]
    [InlineData("ringing", false)]
    [InlineData("in-progress", false)]
    [InlineData("", false)]
    public void CallRecord_Ended_OnlyForTheFinalStatuses(string status, bool ended) =>
        Assert.Equal(ended, new CallRecord("CA1", null, "", "", status, "", null, null, null, null, null).Ended);

    [Fact]
    public void RecordingAudio_Dispose_ReleasesTheBodyAndTheAnswer()
    {
        var body = new MemoryStream([1, 2, 3]);
        var answer = new HttpResponseMessage();
        answer.Content = new ByteArrayContent([1]);

        new RecordingAudio(body, "audio/mpeg", 3, answer).Dispose();

        Assert.False(body.CanRead);
        Assert.Throws<ObjectDisposedException>(() => answer.Content.ReadAsStream());
    }

    /// <summary>A client over an in-process handler (no socket): for what WireMock cannot show, such as disposal.</summary>
    private static TwilioRestClient Over(Func<HttpRequestMessage, HttpResponseMessage> answer) =>
        new(new HttpClient(new AnsweringHandler(answer)),
            Microsoft.Extensions.Options.Options.Create(new TwilioOptions { AccountSid = AccountSid, AuthToken = "secret-token", ApiBaseUrl = "https://api.twilio.test/" }));

    private sealed class AnsweringHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answer(request));
    }

    /// <summary>A body that records its disposal, and can fail when read.</summary>
    private sealed class TrackedContent(bool failOnRead = false) : HttpContent
    {
        public bool Disposed { get; private set; }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            failOnRead ? throw new IOException("connection reset while reading") : stream.WriteAsync("{}"u8.ToArray()).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 2;
            return !failOnRead;
        }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.Forbidden)]
    public async Task OpenRecordingAsync_NoAudio_ReleasesTheAnswer(HttpStatusCode status)
    {
        var content = new TrackedContent();
        var client = Over(_ => new HttpResponseMessage(status) { Content = content });

        if (status == HttpStatusCode.NotFound)
        {
            Assert.Null(await client.OpenRecordingAsync(RecordingSid, CancellationToken.None));
        }
        else
        {
            await Assert.ThrowsAsync<TwilioApiException>(() => client.OpenRecordingAsync(RecordingSid, CancellationToken.None));
        }

        Assert.True(content.Disposed);
    }

    [Fact]
    public async Task OpenRecordingAsync_AnswerWithoutAContentType_IsMpeg_AndAsksForMpeg()
    {
        HttpRequestMessage? sent = null;
        var client = Over(request =>
        {
            sent = request;
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([1, 2, 3]) };
        });

        using var audio = await client.OpenRecordingAsync(RecordingSid, CancellationToken.None);

        Assert.Equal(("audio/mpeg", (long?)3), (audio!.ContentType, audio.Length));
        Assert.Equal(["audio/mpeg"], sent!.Headers.Accept.Select(a => a.MediaType));
        Assert.Equal($"https://api.twilio.test/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.mp3", sent.RequestUri!.AbsoluteUri);
    }

    [Fact]
    public async Task GetCallAsync_AsksForJson()
    {
        HttpRequestMessage? sent = null;
        var client = Over(request =>
        {
            sent = request;
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(CallJson, Encoding.UTF8, "application/json") };
        });

        await client.GetCallAsync(CallSid, CancellationToken.None);

        Assert.Equal(["application/json"], sent!.Headers.Accept.Select(a => a.MediaType));
    }

    [Fact]
    public async Task CreateMessageAsync_AnswerWhoseBodyBreaksWhileRead_OutcomeUnknown()
    {
        var client = Over(_ => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new TrackedContent(failOnRead: true) });

        var error = await Assert.ThrowsAsync<TwilioOutcomeUnknownException>(() => client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", From: "+15550001111"), CancellationToken.None));

        // Note: HttpClient reads the whole answer inside SendAsync, so the failure surfaces there (no status yet),
        // wrapped in HttpRequestException with the IOException inside.
        Assert.Null(error.HttpStatus);
        Assert.IsType<IOException>(Assert.IsType<HttpRequestException>(error.InnerException).InnerException);
    }

    public void Dispose()
    {
        _services.Dispose();
        _twilio.Dispose();
    }
}
