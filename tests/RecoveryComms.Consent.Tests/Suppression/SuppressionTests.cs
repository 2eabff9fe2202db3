using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RecoveryComms.Consent.Ledger;
using RecoveryComms.Consent.Suppression;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests.Suppression;

public sealed class SuppressionTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    private ConsentStore Store => host.Services.GetRequiredService<ConsentStore>();

    private SuppressionPolicy Policy => host.Services.GetRequiredService<SuppressionPolicy>();

    private Task<ChangeResult> ExpressAsync(string phone) =>
        Store.ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.Express, "api", null, "tester", "signed", host.Clock.Now), default);

    [Fact]
    public async Task Sms_WithExpressConsentAtMidday_IsAllowed()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = Numbers.Chicago();
        await ExpressAsync(phone);

        var decision = await Policy.DecideAsync(phone, "sms", default);

        Assert.True(decision.Allowed, string.Join(",", decision.Reasons));
    }

    [Fact]
    public async Task Sms_Reasons_AreEachReported()
    {
        host.Clock.Now = ConsentHost.Midday;
        var (optedOut, dnc, unknown, implied, wrong) = (Numbers.Chicago(), Numbers.Chicago(), Numbers.Chicago(), Numbers.Chicago(), Numbers.Chicago());
        await Store.ChangeAsync(new ConsentChange(optedOut, "sms", ConsentStates.OptedOut, "api", null, "t", "e", host.Clock.Now), default);
        await Store.ChangeAsync(new ConsentChange(dnc, "voice", ConsentStates.DoNotContact, "api", null, "t", "e", host.Clock.Now), default);
        await Store.ChangeAsync(new ConsentChange(implied, "sms", ConsentStates.Implied, "inbound-call", null, "t", "e", host.Clock.Now), default);
        await ExpressAsync(wrong);
        await Store.FlagAsync(new NumberFlagChange(wrong, WrongNumber: true, Spam: null, "api", null, "t", "e", host.Clock.Now), default);

        Assert.Equal(["opted-out"], (await Policy.DecideAsync(optedOut, "sms", default)).Reasons);
        Assert.Contains("do-not-contact", (await Policy.DecideAsync(dnc, "sms", default)).Reasons);
        Assert.Equal(["do-not-contact"], (await Policy.DecideAsync(dnc, "voice", default)).Reasons);
        Assert.Equal(["no-consent"], (await Policy.DecideAsync(unknown, "sms", default)).Reasons);
        Assert.True((await Policy.DecideAsync(unknown, "voice", default)).Allowed);
        Assert.Equal(["no-consent"], (await Policy.DecideAsync(implied, "sms", default)).Reasons);
        Assert.Equal(["wrong-number"], (await Policy.DecideAsync(wrong, "sms", default)).Reasons);
        Assert.Equal(["anonymous"], (await Policy.DecideAsync("anonymous", "sms", default)).Reasons);
        Assert.Equal(["invalid-number"], (await Policy.DecideAsync("12", "voice", default)).Reasons);
    }

    [Theory]
    // Chicago, the day DST starts (2026-03-08): 13:30 UTC is 08:30 CDT (open); the day before it is 07:30 CST (closed).
    [InlineData("+13125550142", "2026-03-08T13:30:00Z", true)]
    [InlineData("+13125550142", "2026-03-07T13:30:00Z", false)]
    // The day DST ends (2026-11-01): 02:30 UTC is 21:30 CDT (closed); 01:30 UTC is 20:30 CDT (open).
    [InlineData("+13125550142", "2026-11-01T02:30:00Z", false)]
    [InlineData("+13125550142", "2026-11-01T01:30:00Z", true)]
    // Florida's window closes at 20:00; New York's (federal) at 21:00. 00:30 UTC is 20:30 EDT in both.
    [InlineData("+13055550142", "2026-07-15T00:30:00Z", false)]
    [InlineData("+12125550142", "2026-07-15T00:30:00Z", true)]
    // Los Angeles at 15:30 UTC is 08:30 PDT; Phoenix (no DST) at the same instant is 08:30 MST.
    [InlineData("+16505550142", "2026-07-15T15:30:00Z", true)]
    [InlineData("+16025550142", "2026-07-15T14:30:00Z", false)]
    // Alaska's numbers map to Anchorage and Adak (an hour apart): the stricter wins. 17:30 UTC is 09:30 AKDT but 08:30 HDT (open in both);
    // 16:30 UTC is 08:30 AKDT but 07:30 HDT (closed in Adak, so closed).
    [InlineData("+19075550142", "2026-07-15T17:30:00Z", true)]
    [InlineData("+19075550142", "2026-07-15T16:30:00Z", false)]
    public async Task QuietHours_InTheRecipientsZone_AcrossDstAndStates(string phone, string utc, bool open)
    {
        var quietHours = host.Services.GetRequiredService<QuietHours>();

        var within = await quietHours.IsWithinAsync(phone, null, DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), default);

        Assert.Equal(open, within);
    }

    // Note: this test used to say the account's zone overrides the number's (08:30 in New York opened a Chicago number
    // at 07:30 Chicago time); it now joins them, so it can only narrow the window (issue 15).
    [Fact]
    public async Task QuietHours_AccountTimeZone_NarrowsTheWindow_NeverWidensIt()
    {
        var quietHours = host.Services.GetRequiredService<QuietHours>();
        var chicagoNumber = "+13125550142";
        // 07:30 in Chicago (closed), 08:30 in New York (open).
        var morning = DateTimeOffset.Parse("2026-07-15T12:30:00Z", System.Globalization.CultureInfo.InvariantCulture);
        // 20:30 in Chicago (open), 21:30 in New York (closed).
        var evening = DateTimeOffset.Parse("2026-07-16T01:30:00Z", System.Globalization.CultureInfo.InvariantCulture);

        Assert.False(await quietHours.IsWithinAsync(chicagoNumber, "America/New_York", morning, default));
        Assert.False(await quietHours.IsWithinAsync(chicagoNumber, null, morning, default));
        Assert.False(await quietHours.IsWithinAsync(chicagoNumber, "America/New_York", evening, default));
        Assert.True(await quietHours.IsWithinAsync(chicagoNumber, null, evening, default));
    }

    [Fact]
    public async Task Sms_AtNight_IsRefusedForQuietHours()
    {
        var phone = Numbers.Chicago();
        await ExpressAsync(phone);
        host.Clock.Now = new DateTimeOffset(2026, 11, 19, 4, 0, 0, TimeSpan.Zero);
        try
        {
            Assert.Equal(["quiet-hours"], (await Policy.DecideAsync(phone, "sms", default)).Reasons);
        }
        finally
        {
            host.Clock.Now = ConsentHost.Midday;
        }
    }

    [Fact]
    public async Task Api_AnswersAServiceKey_AndChecksItsInput()
    {
        var service = await host.KeyAsync("service");
        var phone = Numbers.Chicago();
        await ExpressAsync(phone);

        var ok = await (await host.SendAsync(service, HttpMethod.Get, $"/api/suppression?phone={Uri.EscapeDataString(phone)}&channel=sms")).Content.ReadFromJsonAsync<JsonElement>();
        var anonymous = await host.SendAsync(null, HttpMethod.Get, $"/api/suppression?phone={Uri.EscapeDataString(phone)}&channel=sms");
        var badChannel = await host.SendAsync(service, HttpMethod.Get, $"/api/suppression?phone={Uri.EscapeDataString(phone)}&channel=fax");

        Assert.True(ok.GetProperty("allowed").GetBoolean());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badChannel.StatusCode);
    }

    [Fact]
    public async Task Bus_CheckSuppression_IsAnswered()
    {
        var phone = Numbers.Chicago();
        await Store.ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.OptedOut, "api", null, "t", "e", host.Clock.Now), default);
        var bus = await host.BusAsync();
        try
        {
            var client = bus.CreateRequestClient<CheckSuppression>(RequestTimeout.After(s: 10));
            var answer = await client.GetResponse<SuppressionDecision>(new CheckSuppression(Guid.NewGuid(), phone, "sms", DateTimeOffset.UtcNow));

            Assert.False(answer.Message.Allowed);
            Assert.Contains("opted-out", answer.Message.Reasons);
        }
        finally
        {
            await bus.StopAsync();
        }
    }
}

public sealed class UnregisteredSuppressionTests(UnregisteredConsentHost host) : IClassFixture<UnregisteredConsentHost>
{
    [Fact]
    public async Task Sms_WithoutA2PRegistration_IsRefused_VoiceIsNot()
    {
        var phone = Numbers.Chicago();
        var store = host.Services.GetRequiredService<ConsentStore>();
        await store.ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.Express, "api", null, "t", "e", host.Clock.Now), default);
        var policy = host.Services.GetRequiredService<SuppressionPolicy>();

        Assert.Equal(["a2p-not-registered"], (await policy.DecideAsync(phone, "sms", default)).Reasons);
        Assert.True((await policy.DecideAsync(phone, "voice", default)).Allowed);
    }
}
