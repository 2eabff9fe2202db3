using System.Net;
using System.Xml.Linq;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using RecoveryComms.Testing;
using RecoveryComms.Webhooks;

namespace RecoveryComms.Consent.Tests.Keywords;

/// <summary>The webhooks service and the consent service together on one broker prefix and one database.</summary>
public sealed class WebhooksAndConsentHost : ConsentHost
{
    public const string AuthToken = "test-auth-token";
    public const string PublicBaseUrl = "https://hooks.shop.test";

    private WebApplicationFactory<WebhooksEntryPoint>? _webhooks;

    public TwilioWebhookClient Webhooks { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var rabbit = await TestInfrastructure.RabbitMqAsync();
        _webhooks = new WebApplicationFactory<WebhooksEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseTestInfrastructure(Database.ConnectionString, rabbit, Prefix);
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

        await base.DisposeAsync();
    }
}

public sealed class StopWebhookTests(WebhooksAndConsentHost host) : IClassFixture<WebhooksAndConsentHost>
{
    private Task<HttpResponseMessage> TextAsync(string from, string body) =>
        host.Webhooks.PostAsync("/twilio/sms/incoming",
            ("MessageSid", "SM" + Guid.NewGuid().ToString("N")), ("From", from), ("To", ConsentHost.ShopLine), ("Body", body), ("NumMedia", "0"));

    [Fact]
    public async Task StopWebhook_IsAnsweredOnlyOnceTheOptOutIsInForce_WithOneConfirmation()
    {
        var phone = Numbers.Chicago();

        var first = await TextAsync(phone, "stop");

        // Checked the instant the answer arrives: no waiting, the opt-out must already be there.
        Assert.Equal("opted_out", await host.ScalarAsync<string>("SELECT state FROM consent.consent_state WHERE phone = @phone AND channel = 'sms'", new { phone }));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotNull(XDocument.Parse(await first.Content.ReadAsStringAsync()).Root!.Element("Message"));

        var second = await TextAsync(phone, "STOP");

        Assert.Empty(XDocument.Parse(await second.Content.ReadAsStringAsync()).Root!.Elements());
    }

    [Fact]
    public async Task ReplyWebhook_IsAnsweredWithoutAConfirmation()
    {
        var response = await TextAsync(Numbers.Chicago(), "Stop by at 3?");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Elements());
    }
}
