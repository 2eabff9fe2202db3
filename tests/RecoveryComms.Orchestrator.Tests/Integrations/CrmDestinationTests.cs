using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RecoveryComms.Orchestrator.Integrations;
using RecoveryComms.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace RecoveryComms.Orchestrator.Tests.Integrations;

/// <summary>
/// CRM webhooks cannot be pointed at the services' own network: a host with no <c>AllowedNetworks</c> (unlike
/// <see cref="CrmHost"/>, whose stand-in CRM is on loopback).
/// </summary>
public sealed class CrmDestinationTests(ServicesHost host) : IClassFixture<ServicesHost>
{
    // Note: never recovery.created, which the delivery test enqueues: no delivery may go to a real public address.
    private async Task<HttpResponseMessage> SubscribeAsync(string url) =>
        await host.Orchestrator.SendAsync(ServicesHost.As(await host.CreatorKeyAsync(), HttpMethod.Post, "/api/integrations/webhooks",
            JsonContent.Create(new { url, events = new[] { CrmEvents.Disposed } })));

    [Theory]
    [InlineData("http://127.0.0.1:5432/")] // PostgreSQL
    [InlineData("http://169.254.169.254/latest/meta-data/")] // cloud metadata
    [InlineData("http://10.0.0.5/hooks")]
    [InlineData("http://localhost:5081/api/users")] // the orchestrator itself, by name
    [InlineData("http://[::1]:5082/api/suppression")]
    [InlineData("http://[::ffff:127.0.0.1]:5672/")]
    [InlineData("http://0.0.0.0:5081/")]
    [InlineData("http://2130706433:5081/")] // 127.0.0.1 written as one number
    [InlineData("https://192.168.1.20/hooks")]
    [InlineData("https://[fd00::5]/hooks")]
    public async Task Subscribe_ToANonPublicDestination_Is400NamingTheAllowList(string url)
    {
        var response = await SubscribeAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.EndsWith("/validation", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        var message = problem.GetProperty("errors").GetProperty("url")[0].GetString();
        Assert.StartsWith("Destination refused", message, StringComparison.Ordinal);
        Assert.Contains("Integrations:Webhooks:AllowedNetworks", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_ToAPublicAddress_IsAccepted()
    {
        var response = await SubscribeAsync("https://93.184.215.14/hooks/recoverycomms");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>
    /// A subscription the API check never saw (stored before it existed, or a name that resolved elsewhere when it was
    /// made): the delivery resolves <c>localhost</c> at connect time and is refused there, and the CRM hears nothing.
    /// </summary>
    [Fact]
    public async Task Deliver_ToAHostNameThatResolvesToLoopback_IsRefusedAtConnect()
    {
        using var crm = WireMockServer.Start();
        crm.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(500).WithBody("internal: secret=hunter2"));
        var webhookId = Guid.NewGuid();
        var store = host.OrchestratorServices.GetRequiredService<WebhookStore>();
        await store.CreateAsync(webhookId, $"http://localhost:{crm.Port}/crm/hooks", [CrmEvents.Created], WebhookSignature.NewSecret(),
            DateTimeOffset.UtcNow, "before the check", default);

        var dataSource = host.OrchestratorServices.GetRequiredService<NpgsqlDataSource>();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var tx = await connection.BeginTransactionAsync();
            await host.OrchestratorServices.GetRequiredService<CrmWebhooks>().EnqueueAsync(connection, tx, CrmEvents.Created,
                new { Id = Guid.NewGuid(), Phone = "+13125550142" }, DateTimeOffset.UtcNow, default);
            await tx.CommitAsync();
        }

        var error = await Eventually.ValueAsync(async () =>
        {
            await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
            return await connection.QuerySingleOrDefaultAsync<string?>(
                "SELECT coalesce(last_error, status) FROM orchestrator.webhook_deliveries WHERE webhook_id = @webhookId AND attempts > 0", new { webhookId });
        }, e => e is not null, TimeSpan.FromSeconds(30), "the first attempt recorded");

        Assert.Contains("destination refused: localhost is or resolves to a loopback address", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
        Assert.Empty(crm.LogEntries);
    }
}
