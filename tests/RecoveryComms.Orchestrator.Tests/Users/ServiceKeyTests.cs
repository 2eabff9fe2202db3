using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Users;

// A service credential is a key of its own role: the orchestrator issues it (signed, so the consent service stores
// it), and it opens the consent service's "services" routes and no staff route.
public sealed class ServiceKeyTests(ServicesHost host) : IClassFixture<ServicesHost>
{
    private async Task<string> KeyAsync(string role)
    {
        var created = await host.Orchestrator.SendAsync(ServicesHost.As(await host.CreatorKeyAsync(), HttpMethod.Post, "/api/users",
            JsonContent.Create(new { name = $"{role} {Guid.NewGuid():N}"[..20], role })));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiKey").GetString()!;
    }

    [Fact]
    public async Task ServiceKey_IssuedByTheOrchestrator_ReadsSuppressionAtConsent_WhereACsrKeyIsRefused()
    {
        var service = await KeyAsync("service");
        var csr = await KeyAsync("csr");
        const string Path = "/api/suppression?phone=%2B13125550142&channel=sms";

        var byService = await Eventually.ValueAsync(() => host.Consent.SendAsync(ServicesHost.As(service, HttpMethod.Get, Path)),
            r => r.StatusCode != HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(20), "the consent service stores the signed key");
        var byCsr = await Eventually.ValueAsync(() => host.Consent.SendAsync(ServicesHost.As(csr, HttpMethod.Get, Path)),
            r => r.StatusCode != HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(20), "the consent service stores the signed key");
        var queue = await host.Orchestrator.SendAsync(ServicesHost.As(service, HttpMethod.Get, "/api/recoveries"));

        Assert.Equal(HttpStatusCode.OK, byService.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byCsr.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, queue.StatusCode);
    }
}
