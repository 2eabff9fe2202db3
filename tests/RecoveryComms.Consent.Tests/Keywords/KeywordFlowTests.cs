using Dapper;
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
    private static InboundSmsReceived Sms(string from, string body, string? optOutType = null, string? messageSid = null)
    {
        var sid = messageSid ?? "SM" + Guid.NewGuid().ToString("N");
        return new InboundSmsReceived(CorrelationIds.For(sid), sid, from, ConsentHost.ShopLine, body, optOutType, 0, false, false, DateTimeOffset.UtcNow);
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

        await PublishAsync(stop, stop);
        await EventuallySmsStateAsync(phone, ConsentStates.OptedOut);
        await PublishAsync(Sms(phone, "Hello?"));
        await Task.Delay(300);

        Assert.Equal(1, await host.ScalarAsync<long>("SELECT count(*) FROM consent.consent_events WHERE phone = @phone", new { phone }));
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
        await store.ChangeAsync(optedOut, "sms", ConsentStates.OptedOut, "api", null, "t", "e", false, host.Clock.Now, default);

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
