using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Orchestrator.ConsentProxy;
using RecoveryComms.Orchestrator.Tests.Queue;

namespace RecoveryComms.Orchestrator.Tests.ConsentProxy;

/// <summary><c>/api/consent/**</c> through the orchestrator: one origin for the console, the consent service's own rules behind it.</summary>
public sealed class ConsentForwardingTests(LoopHost host) : IClassFixture<LoopHost>
{
    [Fact]
    public async Task Compliance_RecordsAndReadsANumbersConsent_AndVerifiesTheLedger_ThroughTheOrchestrator()
    {
        var compliance = await host.UserAsync("compliance");
        await host.KnownToConsentAsync(compliance);
        var phone = LoopHost.NewPhone();

        using var recorded = await host.SendAsync(compliance, HttpMethod.Post, $"/api/consent/{Uri.EscapeDataString(phone)}",
            new { channel = "sms", state = "express", evidence = "signed the service agreement" });
        using var read = await host.SendAsync(compliance, HttpMethod.Get, $"/api/consent/{phone}");
        using var verify = await host.SendAsync(compliance, HttpMethod.Get, "/api/consent/verify");

        Assert.Equal(HttpStatusCode.Created, recorded.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var view = await LoopHost.ReadAsync<JsonElement>(read);
        Assert.Equal(phone, view.GetProperty("phone").GetString());
        Assert.Contains("signed the service agreement", view.GetProperty("history").ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        Assert.True((await LoopHost.ReadAsync<JsonElement>(verify)).GetProperty("ok").GetBoolean());
    }

    [Theory]
    [InlineData("/api/consent/%252e%252e/contacts/resolve?phone=%2B13125550142")]
    [InlineData("/api/consent/%252e%252e/%252e%252e/health/ready")]
    [InlineData("/api/consent/verify/..%252fevents")]
    [InlineData("/api/consent/+13125550142/extra")]
    public async Task PathsOutsideTheConsentRoutes_AreRefused_BeforeReachingConsent(string path)
    {
        var manager = await host.UserAsync("manager");
        await host.KnownToConsentAsync(manager);

        using var response = await host.SendAsync(manager, HttpMethod.Get, path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://recoverycomms.dev/problems/invalid-path", (await LoopHost.ReadAsync<JsonElement>(response)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Csr_IsRefusedByTheOrchestrator_AndConsentsOwnRolesStillApply()
    {
        var csr = await host.UserAsync("csr");
        var admin = await host.UserAsync("admin");
        await host.KnownToConsentAsync(admin);

        using var csrRead = await host.SendAsync(csr, HttpMethod.Get, $"/api/consent/{LoopHost.NewPhone()}");
        using var adminLedger = await host.SendAsync(admin, HttpMethod.Get, "/api/consent/events");
        using var anonymous = await host.Orchestrator.SendAsync(LoopHost.As(null, HttpMethod.Get, "/api/consent/verify"));

        Assert.Equal((HttpStatusCode.Forbidden, "application/problem+json"), (csrRead.StatusCode, csrRead.Content.Headers.ContentType?.MediaType));
        // Passed on (admin is consent staff here), then refused by the consent service: the ledger is compliance's alone.
        Assert.Equal(HttpStatusCode.Forbidden, adminLedger.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task LedgerCsv_StreamsWithItsContentType_AndTheQueryStringIsKept()
    {
        var compliance = await host.UserAsync("compliance");
        await host.KnownToConsentAsync(compliance);
        var phone = LoopHost.NewPhone();
        Assert.Equal(HttpStatusCode.Created, (await host.SendAsync(compliance, HttpMethod.Post, $"/api/consent/{Uri.EscapeDataString(phone)}",
            new { channel = "voice", state = "express", evidence = "asked for a callback on the phone" })).StatusCode);

        using var request = Queue.LoopHost.As(compliance.ApiKey, HttpMethod.Get, $"/api/consent/events.csv?phone={Uri.EscapeDataString(phone)}");
        using var csv = await host.Orchestrator.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var direct = await host.Consent.SendAsync(Queue.LoopHost.As(compliance.ApiKey, HttpMethod.Get, $"/api/consent/events.csv?phone={Uri.EscapeDataString(phone)}"));

        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var text = await csv.Content.ReadAsStringAsync();
        Assert.Contains("asked for a callback on the phone", text, StringComparison.Ordinal);
        Assert.Equal(2, text.Trim().Split('\n').Length);
        Assert.Equal(direct.Content.Headers.ContentDisposition?.ToString(), csv.Content.Headers.ContentDisposition?.ToString());
    }

    [Fact]
    public async Task ConsentDown_Is502ConsentUnavailable()
    {
        var compliance = await host.UserAsync("compliance");
        // A real socket to a loopback port nobody listens on, as when the consent process is stopped.
        var unreachable = host.StartOrchestrator(web =>
        {
            web.UseSetting("Consent:BaseUrl", "http://127.0.0.1:1");
            web.ConfigureTestServices(services => services.AddHttpClient(ConsentForwarding.HttpClientName)
                .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler()));
        });
        using var client = unreachable.CreateClient();

        using var response = await client.SendAsync(LoopHost.As(compliance.ApiKey, HttpMethod.Get, "/api/consent/verify"));

        Assert.Equal((HttpStatusCode.BadGateway, "application/problem+json"), (response.StatusCode, response.Content.Headers.ContentType?.MediaType));
        Assert.EndsWith("/consent-unavailable", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString(), StringComparison.Ordinal);
        await host.StopOrchestratorAsync(unreachable);
    }
}
