using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace RecoveryComms.Consent.Tests.Identity;

// The contract gives GET /api/suppression and GET /api/contacts/resolve to "services": a staff key (a CSR's above
// all) must not read any number's opt-out, do-not-contact and spam flags or its account there.
public sealed class ConsentRouteRoleTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    private static string Suppression(string phone) => $"/api/suppression?phone={Uri.EscapeDataString(phone)}&channel=sms";

    private static string Resolve(string phone) => $"/api/contacts/resolve?phone={Uri.EscapeDataString(phone)}";

    [Theory]
    [InlineData("csr")]
    [InlineData("manager")]
    [InlineData("compliance")]
    [InlineData("admin")]
    [InlineData("integration")]
    public async Task ServiceRoutes_RefuseEveryStaffKey(string role)
    {
        var key = await host.KeyAsync(role);
        var phone = Numbers.Chicago();

        var suppression = await host.SendAsync(key, HttpMethod.Get, Suppression(phone));
        var resolve = await host.SendAsync(key, HttpMethod.Get, Resolve(phone));

        Assert.Equal(HttpStatusCode.Forbidden, suppression.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, resolve.StatusCode);
    }

    [Fact]
    public async Task ServiceRoutes_AnswerAServiceKey_WhichIsNoStaffKey()
    {
        var service = await host.KeyAsync("service");
        var phone = Numbers.Chicago();

        var suppression = await host.SendAsync(service, HttpMethod.Get, Suppression(phone));
        var resolve = await host.SendAsync(service, HttpMethod.Get, Resolve(phone));
        var flag = await host.SendAsync(service, HttpMethod.Post, $"/api/numbers/{Uri.EscapeDataString(phone)}/flags", JsonContent.Create(new { spam = true }));
        var ledger = await host.SendAsync(service, HttpMethod.Get, $"/api/consent/{Uri.EscapeDataString(phone)}");

        Assert.Equal(HttpStatusCode.OK, suppression.StatusCode);
        Assert.Equal("phone:" + phone, (await resolve.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("contactKey").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, flag.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, ledger.StatusCode);
    }

    [Fact]
    public async Task QuietHours_AreReadByComplianceAndAdmin_NotByACsr()
    {
        var csr = await host.KeyAsync("csr");
        var compliance = await host.KeyAsync("compliance");

        var byCsr = await host.SendAsync(csr, HttpMethod.Get, "/api/quiet-hours");
        var byCompliance = await host.SendAsync(compliance, HttpMethod.Get, "/api/quiet-hours");

        Assert.Equal(HttpStatusCode.Forbidden, byCsr.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byCompliance.StatusCode);
    }
}

// A replica that has not heard the key owner cannot tell a live key from one revoked during the silence (a broker
// outage): every consent route, the everyday ones included, answers 503 key-replica-stale until it has.
public sealed class StaleReplicaRouteTests(StaleConsentHost host) : IClassFixture<StaleConsentHost>
{
    [Theory]
    [InlineData("service", "GET", "/api/suppression?phone=%2B13125550142&channel=sms")]
    [InlineData("service", "GET", "/api/contacts/resolve?phone=%2B13125550142")]
    [InlineData("csr", "POST", "/api/numbers/%2B13125550142/flags")]
    [InlineData("csr", "GET", "/api/me")]
    [InlineData("csr", "GET", "/api/no-such-route")]
    [InlineData("compliance", "GET", "/api/quiet-hours")]
    [InlineData("manager", "GET", "/api/consent/%2B13125550142")]
    [InlineData("compliance", "GET", "/api/consent/events")]
    [InlineData("integration", "POST", "/api/accounts")]
    public async Task EveryRoute_OnAStaleReplica_FailsClosed(string role, string method, string path)
    {
        var key = await host.KeyAsync(role);
        using var body = method == "POST" ? JsonContent.Create(new { spam = true, externalRef = "CRM-1", name = "A", phones = new[] { "+13125550142" } }) : null;

        var response = await host.SendAsync(key, new HttpMethod(method), path, body);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("https://recoverycomms.dev/problems/key-replica-stale", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
    }
}
