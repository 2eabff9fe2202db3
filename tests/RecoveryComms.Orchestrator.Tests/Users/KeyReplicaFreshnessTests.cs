using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Users;

/// <summary>
/// The consent service checks its replica's freshness (three seconds); the orchestrator reaches the broker through
/// a proxy the test can cut, so its heartbeats (and events) stop while the consent service's own link stays up.
/// </summary>
public sealed class FreshnessHost : ServicesHost
{
    public TcpToggleProxy OrchestratorBroker { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        var rabbit = await TestInfrastructure.RabbitMqAsync();
        OrchestratorBroker = new TcpToggleProxy(rabbit.Host, rabbit.Port);
        await base.InitializeAsync();
    }

    protected override void ConfigureOrchestrator(IWebHostBuilder web)
    {
        web.UseSetting("RabbitMq:Host", "127.0.0.1");
        web.UseSetting("RabbitMq:Port", OrchestratorBroker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    protected override void ConfigureConsent(IWebHostBuilder web) => web.UseSetting("Auth:KeyReplicaMaxAge", "00:00:03");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await OrchestratorBroker.DisposeAsync();
    }
}

public sealed class KeyReplicaFreshnessTests(FreshnessHost host) : IClassFixture<FreshnessHost>
{
    private async Task<HttpResponseMessage> VerifyAsync(string key) =>
        await host.Consent.SendAsync(ServicesHost.As(key, HttpMethod.Get, "/api/consent/verify"));

    [Fact]
    public async Task ConsentService_WhenTheKeyOwnerFallsSilent_RefusesEveryRouteUntilItHearsFromItAgain()
    {
        var created = await host.Orchestrator.SendAsync(ServicesHost.As(await host.CreatorKeyAsync(), HttpMethod.Post, "/api/users",
            JsonContent.Create(new { name = "Compliance", role = "compliance" })));
        var compliance = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiKey").GetString()!;
        await Eventually.ValueAsync(async () => (await VerifyAsync(compliance)).StatusCode, s => s == HttpStatusCode.OK,
            TimeSpan.FromSeconds(20), "the consent service knows the key and hears the heartbeat");

        host.OrchestratorBroker.Cut();
        var stale = await Eventually.ValueAsync(() => VerifyAsync(compliance), r => r.StatusCode != HttpStatusCode.OK,
            TimeSpan.FromSeconds(20), "the consent service notices the silence");
        var everyday = await host.Consent.SendAsync(ServicesHost.As(compliance, HttpMethod.Get, "/api/me"));
        var flags = await host.Consent.SendAsync(ServicesHost.As(compliance, HttpMethod.Post, "/api/numbers/%2B13125550142/flags",
            JsonContent.Create(new { spam = true, note = "stale replica" })));
        host.OrchestratorBroker.Restore();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, stale.StatusCode);
        Assert.Equal("https://recoverycomms.dev/problems/key-replica-stale", (await stale.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        // Note: every consent route fails closed while stale, the everyday ones too (a key revoked meanwhile looks live).
        Assert.Equal(HttpStatusCode.ServiceUnavailable, everyday.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, flags.StatusCode);
        await Eventually.ValueAsync(async () => (await VerifyAsync(compliance)).StatusCode, s => s == HttpStatusCode.OK,
            TimeSpan.FromSeconds(60), "the heartbeat is heard again once the broker is back");
    }
}
