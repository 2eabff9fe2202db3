using System.Net;
using System.Xml.Linq;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using RecoveryComms.Contracts;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Testing;
using RecoveryComms.Webhooks;

namespace RecoveryComms.Consent.Tests.Keywords;

/// <summary>
/// The webhooks service and the consent service together on one broker prefix and one database. The webhooks
/// service reaches PostgreSQL through <see cref="WebhooksPostgres"/>, so a test can take the database away from
/// it alone (its webhooks are then spooled, and their events reach the consent service only once it is back).
/// </summary>
public sealed class WebhooksAndConsentHost : ConsentHost
{
    public const string AuthToken = "test-auth-token";
    public const string PublicBaseUrl = "https://hooks.shop.test";

    private WebApplicationFactory<WebhooksEntryPoint>? _webhooks;

    public TwilioWebhookClient Webhooks { get; private set; } = null!;

    public TcpToggleProxy WebhooksPostgres { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var rabbit = await TestInfrastructure.RabbitMqAsync();
        var admin = new NpgsqlConnectionStringBuilder(await TestInfrastructure.PostgresAsync());
        WebhooksPostgres = new TcpToggleProxy(admin.Host!, admin.Port);
        _webhooks = new WebApplicationFactory<WebhooksEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseTestInfrastructure(Database.Via(WebhooksPostgres.Port), rabbit, Prefix);
            web.UseSetting("Twilio:AccountSid", "AC00000000000000000000000000000001");
            web.UseSetting("Twilio:AuthToken", AuthToken);
            web.UseSetting("Twilio:PublicBaseUrl", PublicBaseUrl);
        });
        var http = _webhooks.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(PublicBaseUrl) });
        Webhooks = new TwilioWebhookClient(http, AuthToken, PublicBaseUrl);
        await Eventually.ValueAsync(async () => (await http.GetAsync("/health/ready")).IsSuccessStatusCode, ready => ready, TimeSpan.FromSeconds(60));
    }

    public override async Task DisposeAsync()
    {
        if (_webhooks is not null)
        {
            await _webhooks.DisposeAsync();
        }

        if (WebhooksPostgres is not null)
        {
            await WebhooksPostgres.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}

/// <summary>Which of the two paths that carry an opt-out text reaches the consent service first.</summary>
public enum StopOrder
{
    /// <summary>The outbox's InboundSmsReceived records the text before the webhook's synchronous RecordOptOut asks.</summary>
    EventFirst,

    /// <summary>RecordOptOut records it; the event follows (forced by a database blip that spools the webhook).</summary>
    RequestFirst,
}

public sealed class StopWebhookTests(WebhooksAndConsentHost host) : IClassFixture<WebhooksAndConsentHost>
{
    private Task<HttpResponseMessage> TextAsync(string from, string body, string? messageSid = null) =>
        host.Webhooks.PostAsync("/twilio/sms/incoming",
            ("MessageSid", messageSid ?? Sids.Message()), ("From", from), ("To", ConsentHost.ShopLine), ("Body", body), ("NumMedia", "0"));

    private Task<long> LedgerRowsAsync(string messageSid) =>
        host.ScalarAsync<long>("SELECT count(*) FROM consent.consent_events WHERE source_ref = @messageSid", new { messageSid });

    /// <summary>Sends one opt-out text so that the chosen path reaches the consent service first.</summary>
    private async Task<HttpResponseMessage> TextInOrderAsync(StopOrder order, string from, string body)
    {
        var messageSid = Sids.Message();
        if (order == StopOrder.EventFirst)
        {
            // What the outbox would publish for this text (stamped, as the webhooks service stamps it here, with the
            // system clock), delivered and recorded before the webhook arrives.
            var bus = await host.BusAsync();
            try
            {
                await bus.Publish(new InboundSmsReceived(CorrelationIds.For(messageSid), messageSid, from, ConsentHost.ShopLine, body, null, 0, false, false, TimeProvider.System.GetUtcNow()));
            }
            finally
            {
                await bus.StopAsync();
            }

            await Eventually.ValueAsync(() => LedgerRowsAsync(messageSid), rows => rows == 1, TimeSpan.FromSeconds(15), "the event recorded the text");
            return await TextAsync(from, body, messageSid);
        }

        // With its database away, the webhooks service spools the text and still asks RecordOptOut at once; the
        // event leaves its outbox only after the spool is replayed, so the request is certainly first.
        host.WebhooksPostgres.Cut();
        HttpResponseMessage answer;
        try
        {
            answer = await TextAsync(from, body, messageSid);
            Assert.Equal(1, await LedgerRowsAsync(messageSid));
        }
        finally
        {
            host.WebhooksPostgres.Restore();
        }

        await Eventually.ValueAsync(
            () => host.ScalarAsync<long>("SELECT count(*) FROM webhooks.outbox WHERE payload->>'messageSid' = @messageSid AND published_at IS NOT NULL", new { messageSid }),
            published => published == 1, TimeSpan.FromSeconds(30), "the spooled text's event left the outbox");
        return answer;
    }

    private static XElement Twiml(string body) => XDocument.Parse(body).Root!;

    [Theory]
    [InlineData(StopOrder.EventFirst)]
    [InlineData(StopOrder.RequestFirst)]
    public async Task StopWebhook_WhicheverPathRecordsItFirst_OneConfirmationAndNoneForARepeat(StopOrder order)
    {
        var phone = Numbers.Chicago();

        var first = await TextInOrderAsync(order, phone, "stop");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotNull(Twiml(await first.Content.ReadAsStringAsync()).Element("Message"));

        var second = await TextInOrderAsync(order, phone, "STOP");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Empty(Twiml(await second.Content.ReadAsStringAsync()).Elements());
        Assert.Equal(2, await host.ScalarAsync<long>("SELECT count(*) FROM consent.consent_events WHERE phone = @phone", new { phone }));
    }

    [Fact]
    public async Task StopWebhook_IsAnsweredOnlyOnceTheOptOutIsInForce()
    {
        var phone = Numbers.Chicago();

        var first = await TextAsync(phone, "stop");

        // Checked the instant the answer arrives: no waiting, the opt-out must already be there.
        Assert.Equal("opted_out", await host.ScalarAsync<string>("SELECT state FROM consent.consent_state WHERE phone = @phone AND channel = 'sms'", new { phone }));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotNull(Twiml(await first.Content.ReadAsStringAsync()).Element("Message"));
    }

    [Fact]
    public async Task ReplyWebhook_IsAnsweredWithoutAConfirmation()
    {
        var response = await TextAsync(Numbers.Chicago(), "Stop by at 3?");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(Twiml(await response.Content.ReadAsStringAsync()).Elements());
    }
}
