using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Consent.Ledger;
using RecoveryComms.Contracts;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests.Keywords;

// The events the webhooks service publishes, delivered over the real broker to the consent service.
public sealed class KeywordFlowTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    private static InboundSmsReceived Sms(string from, string body, string? optOutType = null, string? messageSid = null, DateTimeOffset? at = null)
    {
        var sid = messageSid ?? "SM" + Guid.NewGuid().ToString("N");
        return new InboundSmsReceived(CorrelationIds.For(sid), sid, from, ConsentHost.ShopLine, body, optOutType, 0, false, false, at ?? DateTimeOffset.UtcNow);
    }

    private async Task PublishAsync(params object[] messages)
    {
        var bus = await host.BusAsync();
        try
        {
            foreach (var message in messages)
            {
                await bus.Publish(message, message.GetType());
            }
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    private Task<string> SmsStateAsync(string phone) =>
        host.ScalarAsync<string>("SELECT coalesce((SELECT state FROM consent.consent_state WHERE phone = @phone AND channel = 'sms'), 'unknown')", new { phone });

    private Task<string> VoiceStateAsync(string phone) =>
        host.ScalarAsync<string>("SELECT coalesce((SELECT state FROM consent.consent_state WHERE phone = @phone AND channel = 'voice'), 'unknown')", new { phone });

    private Task<string> EventuallySmsStateAsync(string phone, string state) =>
        Eventually.ValueAsync(() => SmsStateAsync(phone), s => s == state, TimeSpan.FromSeconds(15), $"{phone} becomes {state}");

    [Fact]
    public async Task Stop_OptsOut_StartOptsBackIn()
    {
        var phone = Numbers.Chicago();

        await PublishAsync(Sms(phone, "Stop."));
        await EventuallySmsStateAsync(phone, ConsentStates.OptedOut);
        await PublishAsync(Sms(phone, "START"));

        await EventuallySmsStateAsync(phone, ConsentStates.Express);
        var sources = await host.QueryAsync<string>("SELECT new_state FROM consent.consent_events WHERE phone = @phone ORDER BY id", new { phone });
        Assert.Equal(["opted_out", "express"], sources);
    }

    [Fact]
    public async Task Yes_OptsBackInOnlyWhileOptedOut()
    {
        var (optedOut, fresh) = (Numbers.Chicago(), Numbers.Chicago());
        await PublishAsync(Sms(optedOut, "STOP"));
        await EventuallySmsStateAsync(optedOut, ConsentStates.OptedOut);

        await PublishAsync(Sms(fresh, "yes"), Sms(optedOut, "yes"));

        await EventuallySmsStateAsync(optedOut, ConsentStates.Express);
        Assert.Equal("unknown", await SmsStateAsync(fresh));
    }

    [Fact]
    public async Task NotAKeyword_ChangesNothing_PlainRequestToStop_OptsOutFlaggedForReview()
    {
        var (reply, plain) = (Numbers.Chicago(), Numbers.Chicago());

        await PublishAsync(Sms(reply, "Stop by at 3?"), Sms(plain, "please stop texting me"));

        await EventuallySmsStateAsync(plain, ConsentStates.OptedOut);
        Assert.True(await host.ScalarAsync<bool>("SELECT needs_review FROM consent.consent_events WHERE phone = @plain", new { plain }));
        Assert.Equal("unknown", await SmsStateAsync(reply));
    }

    [Fact]
    public async Task SameStopDeliveredTwice_IsOneLedgerRow()
    {
        var phone = Numbers.Chicago();
        var stop = Sms(phone, "STOP");

        var consumed = new ConsumedTexts();
        using var observing = host.Services.GetRequiredService<IBus>().ConnectConsumeObserver(consumed);

        await PublishAsync(stop, stop);
        await EventuallySmsStateAsync(phone, ConsentStates.OptedOut);
        await PublishAsync(Sms(phone, "Hello?"));
        await Eventually.ValueAsync(() => Task.FromResult(consumed.Count(phone)), n => n == 3, TimeSpan.FromSeconds(15), "both copies of STOP and the reply were consumed");

        Assert.Equal(1, await host.ScalarAsync<long>("SELECT count(*) FROM consent.consent_events WHERE phone = @phone", new { phone }));
    }

    [Fact]
    public async Task OlderStart_DeliveredAfterANewerStop_IsKeptAsEvidenceButLeavesTheNumberOptedOut()
    {
        var phone = Numbers.Chicago();
        var stoppedAt = host.Clock.Now;
        var consumed = new ConsumedTexts();
        using var observing = host.Services.GetRequiredService<IBus>().ConnectConsumeObserver(consumed);

        // The START was sent a minute before the STOP but is delivered after it (outbox batches publish in parallel).
        await PublishAsync(Sms(phone, "STOP", at: stoppedAt));
        await EventuallySmsStateAsync(phone, ConsentStates.OptedOut);
        await PublishAsync(Sms(phone, "START", at: stoppedAt.AddMinutes(-1)));
        await Eventually.ValueAsync(() => Task.FromResult(consumed.Count(phone)), n => n == 2, TimeSpan.FromSeconds(15), "both texts were consumed");

        Assert.Equal(ConsentStates.OptedOut, await SmsStateAsync(phone));
        var rows = await host.QueryAsync<(string OldState, string NewState, string Evidence)>(
            "SELECT old_state, new_state, evidence FROM consent.consent_events WHERE phone = @phone ORDER BY id", new { phone });
        Assert.Equal([("unknown", "opted_out"), ("opted_out", "opted_out")], rows.Select(r => (r.OldState, r.NewState)));
        Assert.Contains("not applied", rows[1].Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewerStart_AfterAStop_StillOptsBackIn_AndAnOlderApiChangeDoesNot()
    {
        var phone = Numbers.Chicago();
        var store = host.Services.GetRequiredService<ConsentStore>();
        var at = host.Clock.Now;

        await store.ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.OptedOut, "keyword", "SM" + Guid.NewGuid().ToString("N"), "customer", "SMS: \"STOP\"", at), default);
        var start = await store.ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.Express, "keyword", "SM" + Guid.NewGuid().ToString("N"), "customer", "SMS: \"START\"", at.AddSeconds(1)), default);
        var older = await store.ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.OptedOut, "api", null, "t", "entered late", at.AddSeconds(-5)), default);

        Assert.Equal(ConsentStates.OptedOut, start.OldState);
        Assert.Equal(ConsentStates.Express, older.OldState);
        Assert.Equal(ConsentStates.Express, await SmsStateAsync(phone));
    }

    [Fact]
    public async Task StopCallingMe_OptsOutOfCallsAsWellAsTexts_APlainStopOnlyOfTexts()
    {
        var (caller, texter) = (Numbers.Chicago(), Numbers.Chicago());
        var consumed = new ConsumedTexts();
        using var observing = host.Services.GetRequiredService<IBus>().ConnectConsumeObserver(consumed);

        await PublishAsync(Sms(caller, "Please stop calling me"), Sms(texter, "STOP"));
        await Eventually.ValueAsync(() => Task.FromResult(consumed.Count(caller) + consumed.Count(texter)), n => n == 2, TimeSpan.FromSeconds(15), "both texts were consumed");

        Assert.Equal(ConsentStates.OptedOut, await SmsStateAsync(caller));
        Assert.Equal(ConsentStates.OptedOut, await VoiceStateAsync(caller));
        var policy = host.Services.GetRequiredService<RecoveryComms.Consent.Suppression.SuppressionPolicy>();
        Assert.Contains("opted-out", (await policy.DecideAsync(caller, "voice", default)).Reasons);
        Assert.Equal(ConsentStates.OptedOut, await SmsStateAsync(texter));
        Assert.Equal("unknown", await VoiceStateAsync(texter));
    }

    [Fact]
    public async Task TwilioOptOutType_IsHonouredWhateverTheBody()
    {
        var phone = Numbers.Chicago();

        await PublishAsync(Sms(phone, "arrêtez", optOutType: "STOP"));

        await EventuallySmsStateAsync(phone, ConsentStates.OptedOut);
        Assert.Equal("twilio-opt-out", await host.ScalarAsync<string>("SELECT source FROM consent.consent_events WHERE phone = @phone", new { phone }));
    }

    [Fact]
    public async Task Error21610InAStatusCallback_RecordsACarrierOptOut()
    {
        var phone = Numbers.Chicago();
        var sid = "SM" + Guid.NewGuid().ToString("N");

        await PublishAsync(new MessageStatusReported(CorrelationIds.For(sid), sid, "failed", 21610, "Unsubscribed recipient", phone, ConsentHost.ShopLine, false, DateTimeOffset.UtcNow));

        await EventuallySmsStateAsync(phone, ConsentStates.OptedOut);
        Assert.Equal("carrier-error", await host.ScalarAsync<string>("SELECT source FROM consent.consent_events WHERE phone = @phone", new { phone }));
    }

    [Fact]
    public async Task InboundCall_ImpliesConsent_ButNeverOverAnOptOut()
    {
        var (caller, optedOut) = (Numbers.Chicago(), Numbers.Chicago());
        var store = host.Services.GetRequiredService<ConsentStore>();
        await store.ChangeAsync(new ConsentChange(optedOut, "sms", ConsentStates.OptedOut, "api", null, "t", "e", host.Clock.Now), default);

        await PublishAsync(
            new MissedCallCaptured(Guid.NewGuid(), "CA" + Guid.NewGuid().ToString("N"), caller, false, ConsentHost.ShopLine, false, "no-answer", DateTimeOffset.UtcNow),
            new MissedCallCaptured(Guid.NewGuid(), "CA" + Guid.NewGuid().ToString("N"), optedOut, false, ConsentHost.ShopLine, false, "no-answer", DateTimeOffset.UtcNow));

        await EventuallySmsStateAsync(caller, ConsentStates.Implied);
        await Eventually.ValueAsync(
            () => host.ScalarAsync<string>("SELECT coalesce((SELECT state FROM consent.consent_state WHERE phone = @optedOut AND channel = 'voice'), 'unknown')", new { optedOut }),
            s => s == ConsentStates.Implied, TimeSpan.FromSeconds(15));
        Assert.Equal(ConsentStates.OptedOut, await SmsStateAsync(optedOut));
    }
}

/// <summary>Counts the texts the consent service has finished consuming, so a test waits for them instead of sleeping.</summary>
internal sealed class ConsumedTexts : IConsumeObserver
{
    private readonly ConcurrentQueue<InboundSmsReceived> _done = new();

    public int Count(string from) => _done.Count(m => m.From == from);

    public Task PostConsume<T>(ConsumeContext<T> context)
        where T : class
    {
        if (context.Message is InboundSmsReceived sms)
        {
            _done.Enqueue(sms);
        }

        return Task.CompletedTask;
    }

    public Task PreConsume<T>(ConsumeContext<T> context)
        where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;
}

public sealed class DispositionTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    [Fact]
    public async Task CsrDisposition_DoNotContactAndWrongNumber_SuppressBothChannelsWithTheCsrInTheLedger()
    {
        var phone = Numbers.Chicago();
        var bus = await host.BusAsync();
        try
        {
            await bus.Publish(new RecoveryComms.Contracts.Consent.RecordContactDisposition(
                Guid.NewGuid(), Guid.NewGuid(), phone, DoNotContact: true, WrongNumber: true, Spam: false, Guid.NewGuid(), "Casey CSR", "Asked us to stop calling", DateTimeOffset.UtcNow));
        }
        finally
        {
            await bus.StopAsync();
        }

        await Eventually.ValueAsync(
            () => host.ScalarAsync<bool>("SELECT coalesce((SELECT wrong_number FROM consent.numbers WHERE phone = @phone), false)", new { phone }),
            flagged => flagged, TimeSpan.FromSeconds(15));
        var rows = await host.QueryAsync<(string Channel, string Actor)>("SELECT channel, actor FROM consent.consent_events WHERE phone = @phone ORDER BY channel", new { phone });
        // The wrong-number flag is a ledger row of its own (channel "all"), with the CSR as its actor.
        Assert.Equal(["all", "sms", "voice"], rows.Select(r => r.Channel));
        Assert.All(rows, r => Assert.StartsWith("Casey CSR", r.Actor, StringComparison.Ordinal));
        var decision = await host.Services.GetRequiredService<RecoveryComms.Consent.Suppression.SuppressionPolicy>().DecideAsync(phone, "voice", default);
        Assert.Equal(["do-not-contact", "wrong-number"], decision.Reasons);
    }

    [Fact]
    public async Task QuietHours_ShopEditsAStateWindow_AndOnlyComplianceMay()
    {
        var compliance = await host.KeyAsync("compliance");
        var csr = await host.KeyAsync("csr");
        static HttpContent Window() => System.Net.Http.Json.JsonContent.Create(new { opensAt = "09:00", closesAt = "20:00", sourceNote = "Okla. Stat. tit. 15 § 775C.4" });

        var byCsr = await host.SendAsync(csr, HttpMethod.Put, "/api/quiet-hours/US-OK", Window());
        var byCompliance = await host.SendAsync(compliance, HttpMethod.Put, "/api/quiet-hours/US-OK", Window());
        var bad = await host.SendAsync(compliance, HttpMethod.Put, "/api/quiet-hours/Oklahoma", Window());

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, byCsr.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, byCompliance.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("09:00:00", await host.ScalarAsync<string>("SELECT opens_at::text FROM consent.quiet_hours WHERE region = 'US-OK'"));
    }
}
