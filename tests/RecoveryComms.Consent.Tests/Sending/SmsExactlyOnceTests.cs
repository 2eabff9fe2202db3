using System.Net;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RecoveryComms.Consent.Ledger;
using RecoveryComms.Consent.Sending;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Telephony.Rest;
using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests.Sending;

/// <summary>
/// One SendId, at most one text: concurrent duplicates, answers lost after Twilio accepted, 5xx and timeouts, and the
/// reconciler that settles what the gate could not learn by listing Twilio's messages (never by sending again).
/// </summary>
public sealed class SmsExactlyOnceTests(SendingHost host) : IClassFixture<SendingHost>
{
    // The service's defaults (Consent:SmsSending), which these tests move the clock past.
    private static readonly TimeSpan FirstCheckAfter = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StaleClaimAfter = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(15);

    private SmsGate Gate => host.Services.GetRequiredService<SmsGate>();

    private static SendSms Send(string phone, string body = "Sorry we missed your call. When is a good time to call you back?") =>
        new(Guid.NewGuid(), Guid.NewGuid(), phone, body, DateTimeOffset.UtcNow);

    private IReadOnlyList<WireMock.Logging.ILogEntry> PostsTo(string phone) =>
        host.Twilio.Creates("Messages.json").Where(e => e.RequestMessage.Body!.Contains("To=" + Uri.EscapeDataString(phone) + "&", StringComparison.Ordinal)).ToList();

    private IReadOnlyList<SandboxMessage> AcceptedFor(string phone) => host.Twilio.Messages.Where(m => m.To == phone).ToList();

    private async Task<string> ExpressAsync()
    {
        var phone = Numbers.Chicago();
        await host.Services.GetRequiredService<ConsentStore>().ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.Express, "api", null, "tester", "signed", host.Clock.Now), default);
        return phone;
    }

    private async Task<SendRow?> RowAsync(Guid sendId) =>
        (await host.QueryAsync<SendRow>(
            "SELECT status, reasons, message_sid AS MessageSid, checks FROM consent.sms_sends WHERE id = @sendId", new { sendId })).SingleOrDefault();

    private Task<SendRow?> SettledAsync(Guid sendId) =>
        Eventually.ValueAsync(() => RowAsync(sendId), row => row?.Status is "sent" or "failed", TimeSpan.FromSeconds(30), "the reconciler settles the send");

    [Fact]
    public async Task Send_SameSendIdTwentyTimesAtOnce_OnePostToTwilio()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = await ExpressAsync();
        // A slow Twilio keeps the first attempt in flight while the others arrive.
        host.Twilio.AnswerCreatesAfter(phone, TimeSpan.FromMilliseconds(500));
        var request = Send(phone);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => Gate.SendAsync(request, default))));

        Assert.Single(PostsTo(phone));
        Assert.All(results, r => Assert.Equal(("sent", AcceptedFor(phone).Single().Sid), (r.Status, r.MessageSid)));
        Assert.Equal("sent", (await RowAsync(request.SendId))!.Status);
    }

    [Fact]
    public async Task Bus_SameSendIdTenTimesAtOnce_OnePostToTwilioAndTheSameAnswer()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = await ExpressAsync();
        host.Twilio.AnswerCreatesAfter(phone, TimeSpan.FromMilliseconds(500));
        var request = Send(phone);
        var bus = await host.BusAsync();
        try
        {
            var client = bus.CreateRequestClient<SendSms>(RequestTimeout.After(s: 60));

            var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.GetResponse<SmsSendResult>(request)));

            Assert.Single(PostsTo(phone));
            Assert.All(answers, a => Assert.Equal(("sent", AcceptedFor(phone).Single().Sid), (a.Message.Status, a.Message.MessageSid)));
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    [Fact]
    public async Task Send_TwilioAcceptsThenDropsTheConnection_NoSecondPostUnknownThenSettledAsSentByListing()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = await ExpressAsync();
        host.Twilio.AcceptThenDropNext();
        var request = Send(phone);

        var first = await Gate.SendAsync(request, default);
        var again = await Gate.SendAsync(request, default);

        Assert.Equal(("unknown", null), (first.Status, first.MessageSid));
        Assert.Equal("unknown", again.Status);
        Assert.Equal("unknown", (await RowAsync(request.SendId))!.Status);
        var accepted = Assert.Single(AcceptedFor(phone));

        host.Clock.Now += FirstCheckAfter + TimeSpan.FromSeconds(1);
        var settled = await SettledAsync(request.SendId);
        var later = await Gate.SendAsync(request, default);

        Assert.Equal(("sent", accepted.Sid), (settled!.Status, settled.MessageSid));
        Assert.Equal(("sent", accepted.Sid), (later.Status, later.MessageSid));
        Assert.Single(PostsTo(phone));
        Assert.Contains(host.Twilio.Requests("Messages.json"), e => e.RequestMessage.Method == "GET"
            && e.RequestMessage.RawQuery!.Contains("To=" + Uri.EscapeDataString(phone), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bus_TwilioAcceptsThenDropsTheConnection_TheRequestIsNotRetriedIntoASecondText()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = await ExpressAsync();
        host.Twilio.AcceptThenDropNext();
        var request = Send(phone);
        var bus = await host.BusAsync();
        try
        {
            var client = bus.CreateRequestClient<SendSms>(RequestTimeout.After(s: 60));

            var answer = await client.GetResponse<SmsSendResult>(request);

            Assert.Equal("unknown", answer.Message.Status);
            Assert.Single(PostsTo(phone));
            Assert.Single(AcceptedFor(phone));
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    [Fact]
    public async Task Send_TwilioAcceptsThenAnswers503_NoRetryPostUnknownThenSettledAsSent()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = await ExpressAsync();
        host.Twilio.AcceptThenFailNext(1, HttpStatusCode.ServiceUnavailable);
        var request = Send(phone);

        var result = await Gate.SendAsync(request, default);

        Assert.Equal("unknown", result.Status);
        Assert.Single(PostsTo(phone));
        host.Clock.Now += FirstCheckAfter + TimeSpan.FromSeconds(1);
        var settled = await SettledAsync(request.SendId);
        Assert.Equal(("sent", AcceptedFor(phone).Single().Sid), (settled!.Status, settled.MessageSid));
        Assert.Single(PostsTo(phone));
    }

    [Fact]
    public async Task Send_TwilioAnswers500WithoutSending_UnknownUntilTheBoundedWaitThenFailed()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = await ExpressAsync();
        host.Twilio.FailNext("Messages.json", 1, HttpStatusCode.InternalServerError, null, "Internal Server Error");
        var request = Send(phone);

        var result = await Gate.SendAsync(request, default);
        host.Clock.Now += FirstCheckAfter + TimeSpan.FromSeconds(1);
        var looked = await Eventually.ValueAsync(() => RowAsync(request.SendId), row => row!.Checks >= 1, TimeSpan.FromSeconds(30), "the reconciler looks the send up");

        Assert.Equal("unknown", result.Status);
        Assert.Equal("unknown", looked!.Status);
        host.Clock.Now = ConsentHost.Midday + GiveUpAfter + TimeSpan.FromSeconds(1);
        var settled = await SettledAsync(request.SendId);
        Assert.Equal(("failed", "twilio-not-found"), (settled!.Status, settled.Reasons.Single()));
        var later = await Gate.SendAsync(request, default);
        Assert.Equal(("failed", "twilio-not-found"), (later.Status, later.Reasons.Single()));
        Assert.Single(PostsTo(phone));
        Assert.Empty(AcceptedFor(phone));
    }

    [Fact]
    public async Task Send_TwilioAnswersAfterTheRequestTimeout_NoSecondPostUnknownThenSettledAsSent()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = await ExpressAsync();
        host.Twilio.AcceptThenStallNext(1, TimeSpan.FromSeconds(SendingHost.RequestTimeoutSeconds * 2));
        var request = Send(phone);

        var result = await Gate.SendAsync(request, default);

        Assert.Equal("unknown", result.Status);
        // The sandbox takes the message in only once its stalled answer is due; then Twilio would list it.
        await Eventually.ValueAsync(() => Task.FromResult(AcceptedFor(phone).Count), count => count == 1, TimeSpan.FromSeconds(30), "the stalled message is accepted");
        host.Clock.Now += FirstCheckAfter + TimeSpan.FromSeconds(1);
        var settled = await SettledAsync(request.SendId);
        Assert.Equal(("sent", AcceptedFor(phone).Single().Sid), (settled!.Status, settled.MessageSid));
        Assert.Single(PostsTo(phone));
    }

    [Fact]
    public async Task Send_AttemptFailsBeforeTwilioIsCalled_TheClaimIsGivenBackAndARetrySends()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = await ExpressAsync();
        host.Holds.FailNext(phone);
        var request = Send(phone);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Gate.SendAsync(request, default));
        var released = await RowAsync(request.SendId);
        var retried = await Gate.SendAsync(request, default);

        Assert.Null(released);
        Assert.Equal(("sent", AcceptedFor(phone).Single().Sid), (retried.Status, retried.MessageSid));
        Assert.Single(PostsTo(phone));
    }

    [Fact]
    public async Task Reconciler_ClaimOfAnAttemptThatDiedAfterTwilioAccepted_IsSettledAsSentAndNeverResent()
    {
        // What a crash or a failed commit after Twilio accepted leaves behind: a committed 'sending' claim, and the
        // message at Twilio.
        host.Clock.Now = ConsentHost.Midday;
        var phone = await ExpressAsync();
        var request = Send(phone);
        await host.Services.GetRequiredService<ITwilioRestClient>().CreateMessageAsync(
            new CreateMessageRequest(phone, request.Body, From: ConsentHost.ShopLine), default);
        await using (var c = new NpgsqlConnection(host.Database.ConnectionString))
        {
            await c.ExecuteAsync(
                "INSERT INTO consent.sms_sends (id, phone, body, status, decided_at, check_after) VALUES (@SendId, @Phone, @Body, 'sending', @At, @CheckAfter)",
                new { request.SendId, request.Phone, request.Body, At = host.Clock.Now, CheckAfter = host.Clock.Now + StaleClaimAfter });
        }

        var retried = await Gate.SendAsync(request, default);
        host.Clock.Now += StaleClaimAfter + TimeSpan.FromSeconds(1);
        var settled = await SettledAsync(request.SendId);

        Assert.Equal("unknown", retried.Status);
        Assert.Equal(("sent", AcceptedFor(phone).Single().Sid), (settled!.Status, settled.MessageSid));
        Assert.Single(PostsTo(phone));
    }

    [Fact]
    public async Task Reconciler_TwoUnknownSendsOfTheSameText_EachGetsItsOwnMessage()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = await ExpressAsync();
        host.Twilio.AcceptThenDropNext(2);
        var first = Send(phone);
        var second = Send(phone);

        await Gate.SendAsync(first, default);
        await Gate.SendAsync(second, default);
        host.Clock.Now += FirstCheckAfter + TimeSpan.FromSeconds(1);
        var settled = new[] { await SettledAsync(first.SendId), await SettledAsync(second.SendId) };

        Assert.Equal(AcceptedFor(phone).Select(m => m.Sid).Order(), settled.Select(s => s!.MessageSid).Order());
    }

    [Fact]
    public async Task Reconciler_TwilioCannotList_TheSendStaysUnknownPastTheBoundedWait()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = await ExpressAsync();
        host.Twilio.FailNext("Messages.json", 1, HttpStatusCode.BadGateway, null, "Bad Gateway");
        var request = Send(phone);
        await Gate.SendAsync(request, default);
        host.Twilio.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/2010-04-01/Accounts/*/Messages.json").UsingGet())
            .AtPriority(1)
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(401).WithBody("{\"status\": 401, \"message\": \"Authenticate\", \"code\": 20003}"));
        try
        {
            host.Clock.Now = ConsentHost.Midday + GiveUpAfter + TimeSpan.FromMinutes(1);
            var looked = await Eventually.ValueAsync(() => RowAsync(request.SendId), row => row!.Checks >= 1, TimeSpan.FromSeconds(30), "the reconciler tries to look the send up");

            Assert.Equal("unknown", looked!.Status);
        }
        finally
        {
            host.Twilio.Reset();
        }

        host.Clock.Now += TimeSpan.FromMinutes(2);
        var settled = await SettledAsync(request.SendId);
        Assert.Equal(("failed", "twilio-not-found"), (settled!.Status, settled.Reasons.Single()));
    }

    private sealed class SendRow
    {
        public string Status { get; init; } = "";

        public string[] Reasons { get; init; } = [];

        public string? MessageSid { get; init; }

        public int Checks { get; init; }
    }
}
