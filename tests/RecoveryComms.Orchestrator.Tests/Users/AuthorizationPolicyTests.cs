using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Users;

public sealed class AuthorizationPolicyTests(ServicesHost host) : IClassFixture<ServicesHost>
{
    private async Task<string> KeyKnownToConsentAsync(string role)
    {
        var created = await host.Orchestrator.SendAsync(ServicesHost.As(await host.CreatorKeyAsync(), HttpMethod.Post, "/api/users",
            JsonContent.Create(new { name = $"{role} {Guid.NewGuid():N}"[..20], role })));
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiKey").GetString()!;
        await Eventually.ValueAsync(async () => (await host.Consent.SendAsync(ServicesHost.As(key, HttpMethod.Get, "/api/me"))).StatusCode,
            status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(15), "the consent service knows the key");
        return key;
    }

    [Fact]
    public async Task RouteWithoutAPolicy_NeedsAStaffKey_HealthAndOpenApiStayAnonymous()
    {
        var csr = await KeyKnownToConsentAsync("csr");

        foreach (var service in new[] { host.Orchestrator, host.Consent })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await service.SendAsync(ServicesHost.As(null, HttpMethod.Get, "/api/no-such-route"))).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await service.SendAsync(ServicesHost.As(ServicesHost.BootstrapKey, HttpMethod.Get, "/api/no-such-route"))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await service.SendAsync(ServicesHost.As(csr, HttpMethod.Get, "/api/no-such-route"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await service.SendAsync(ServicesHost.As(null, HttpMethod.Get, "/health/live"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await service.SendAsync(ServicesHost.As(null, HttpMethod.Get, "/openapi/v1.json"))).StatusCode);
        }
    }

    [Theory]
    [InlineData("GET", "/api/consent/events", "compliance", HttpStatusCode.OK)]
    [InlineData("GET", "/api/consent/events", "admin", HttpStatusCode.Forbidden)]
    [InlineData("GET", "/api/consent/events.csv", "compliance", HttpStatusCode.OK)]
    [InlineData("GET", "/api/consent/events.csv", "admin", HttpStatusCode.Forbidden)]
    [InlineData("GET", "/api/consent/verify", "compliance", HttpStatusCode.OK)]
    [InlineData("GET", "/api/consent/verify", "admin", HttpStatusCode.Forbidden)]
    [InlineData("GET", "/api/consent/+13125550142", "manager", HttpStatusCode.OK)]
    [InlineData("GET", "/api/consent/+13125550142", "compliance", HttpStatusCode.OK)]
    [InlineData("GET", "/api/consent/+13125550142", "admin", HttpStatusCode.Forbidden)]
    [InlineData("GET", "/api/consent/+13125550142", "csr", HttpStatusCode.Forbidden)]
    public async Task ConsentRoutes_FollowTheContractsRoles(string method, string path, string role, HttpStatusCode expected)
    {
        var key = await KeyKnownToConsentAsync(role);

        var response = await host.Consent.SendAsync(ServicesHost.As(key, new HttpMethod(method), path));

        Assert.Equal(expected, response.StatusCode);
    }
}
