using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using RecoveryComms.Orchestrator.Integrations;
using WireMock.Server;

namespace RecoveryComms.Orchestrator.Tests.Integrations;

/// <summary>
/// The services with a fake clock in the orchestrator (business time: due times, backoff, expiry, signature
/// timestamps) and a WireMock.Net server standing in for the shop's CRM. Each test subscribes its own paths.
/// </summary>
public sealed class CrmHost : ServicesHost
{
    public static readonly DateTimeOffset Start = new(2026, 11, 18, 17, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Shorter than the default 10 s, so the slow-CRM test sees a timed-out attempt sooner, and far below that CRM's
    /// 30 s; long enough that a busy two-core machine never times out a CRM that answers at once.
    /// </summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    public FakeTimeProvider Clock { get; } = new(Start);

    public WireMockServer Crm { get; } = WireMockServer.Start();

    protected override void ConfigureOrchestrator(IWebHostBuilder web)
    {
        // Retries become due when the test moves the clock; a short poll lets the dispatcher notice at once.
        web.UseSetting("Integrations:Webhooks:PollInterval", "00:00:00.050");
        web.UseSetting("Integrations:Webhooks:RequestTimeout", RequestTimeout.ToString());
        // The stand-in CRM (and the "down" one) listen on loopback, which deliveries refuse unless allowed.
        web.UseSetting("Integrations:Webhooks:AllowedNetworks:0", "127.0.0.0/8");
        web.UseSetting("Integrations:Webhooks:AllowedNetworks:1", "::1");
        web.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        // WireMock's first answer is slow (JIT): it must not count as a test's failed delivery attempt.
        using var warmUp = new HttpClient();
        await warmUp.PostAsync(Crm.Url + "/warm-up", new StringContent("{}"));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Crm.Stop();
    }

    public CrmWebhooks Webhooks => OrchestratorServices.GetRequiredService<CrmWebhooks>();

    /// <summary>A fresh path on the CRM server: one per subscription, so tests never see each other's requests.</summary>
    public static string NewCrmPath() => $"/crm/{Guid.NewGuid():N}";

    public string CrmUrl(string path) => Crm.Url + path;

    /// <summary>A URL nobody listens on: a CRM that is down.</summary>
    public static string DownUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}/crm/hooks";
    }

    public async Task<string> AdminKeyAsync()
    {
        var response = await Orchestrator.SendAsync(As(await CreatorKeyAsync(), HttpMethod.Post, "/api/users",
            JsonContent.Create(new { name = $"admin {Guid.NewGuid():N}"[..20], role = "admin" })));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<NewUser>())!.ApiKey;
    }

    public async Task<string> UserKeyAsync(string role)
    {
        var response = await Orchestrator.SendAsync(As(await CreatorKeyAsync(), HttpMethod.Post, "/api/users",
            JsonContent.Create(new { name = $"{role} {Guid.NewGuid():N}"[..20], role })));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<NewUser>())!.ApiKey;
    }

    public async Task<Subscription> SubscribeAsync(string adminKey, string url, params string[] events)
    {
        var response = await Orchestrator.SendAsync(As(adminKey, HttpMethod.Post, "/api/integrations/webhooks", JsonContent.Create(new { url, events })));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Subscription>())!;
    }

    /// <summary>Calls the seam the recovery queue uses, in a transaction of our own that commits or rolls back.</summary>
    public async Task EnqueueAsync(string eventType, object item, DateTimeOffset occurredAt, bool commit = true)
    {
        var dataSource = OrchestratorServices.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await Webhooks.EnqueueAsync(connection, tx, eventType, item, occurredAt, CancellationToken.None);
        if (commit)
        {
            await tx.CommitAsync();
        }
        else
        {
            await tx.RollbackAsync();
        }
    }

    public async Task<IReadOnlyList<DeliveryRow>> DeliveriesAsync(Guid webhookId)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        return (await connection.QueryAsync<DeliveryRow>(
            """
            SELECT id, event_id AS EventId, event_type AS EventType, status, attempts, last_status_code AS LastStatusCode,
                   last_error AS LastError, next_attempt_at AS NextAttemptAt, body
            FROM orchestrator.webhook_deliveries WHERE webhook_id = @webhookId ORDER BY id
            """, new { webhookId })).AsList();
    }

    public sealed record NewUser(Guid Id, string ApiKey);

    public sealed record Subscription(Guid Id, string Secret, string Url, string[] Events);

    public sealed record DeliveryRow(long Id, Guid EventId, string EventType, string Status, int Attempts, int? LastStatusCode, string? LastError, DateTime? NextAttemptAt, string Body)
    {
        public override string ToString() => $"{EventType} {Status} attempts={Attempts} last={LastStatusCode} {LastError}";
    }
}
