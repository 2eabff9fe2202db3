using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Orchestrator.Tests.Queue;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Reliability;

/// <summary>
/// The orchestrator and the consent service reach PostgreSQL through a proxy the test cuts, as a database outage
/// would. Their bus waits out transient failures with a 3-second in-memory window (20 minutes in production), so an
/// outage of a few windows exercises both halves of the policy: waiting in memory, and going back to the queue.
/// </summary>
public sealed class OutageHost : LoopHost
{
    private TcpToggleProxy? _proxy;

    public TcpToggleProxy Proxy => _proxy!;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["ConnectionStrings:Postgres"] = Database.Via(Proxy.Port),
        ["ConnectionStrings:PostgresMigrations"] = Database.ConnectionString,
        ["RabbitMq:RetryWindow"] = "00:00:03",
        ["RabbitMq:RetryCap"] = "00:00:01",
        ["Recovery:ConsentTimeout"] = "00:00:02",
    };

    public override async Task InitializeAsync()
    {
        var postgres = new NpgsqlConnectionStringBuilder(await TestInfrastructure.PostgresAsync());
        _proxy = new TcpToggleProxy(postgres.Host!, postgres.Port);
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Proxy.DisposeAsync();
    }
}

public sealed class ConsumerFailureTests(OutageHost host) : IClassFixture<OutageHost>
{
    /// <summary>
    /// Long enough to outlast several in-memory windows here. Note: the old policy (eight tries over about 90 s, then
    /// the error queue) lost callers only in outages longer than that; RECOVERYCOMMS_OUTAGE_SECONDS=150 shows it.
    /// </summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(
        int.Parse(Environment.GetEnvironmentVariable("RECOVERYCOMMS_OUTAGE_SECONDS") ?? "12", CultureInfo.InvariantCulture));

    [Fact]
    public async Task MissedCalls_InFlightWhenPostgresGoesDown_AllBecomeItems_NoneParked()
    {
        var phones = Enumerable.Range(0, 30).Select(_ => LoopHost.NewPhone()).ToList();
        foreach (var phone in phones)
        {
            await host.MissAsync(phone);
        }

        host.Proxy.Cut();
        await Task.Delay(Outage);
        host.Proxy.Restore();

        await Eventually.ValueAsync(() => ItemsForAsync(phones), n => n == phones.Count, TimeSpan.FromSeconds(90), "an item for every missed call");
        foreach (var queue in new[] { "orchestrator-missed-call", "consent-resolve-contact", "consent-inbound-call-consent" })
        {
            Assert.Equal(0u, await BrokerQueues.CountAsync(host.Prefix + queue + "_error"));
        }
    }

    [Fact]
    public async Task EveryReceiveEndpoint_IsAQuorumQueue_AndTheSpoolOfResponsesIsNot()
    {
        var own = host.Services.GetRequiredService<OwnQueues>();
        await Eventually.ValueAsync(() => Task.FromResult(own.Names.Count), n => n > 5, TimeSpan.FromSeconds(30), "the endpoints started");
        foreach (var queue in own.Names)
        {
            Assert.True(await BrokerQueues.IsQuorumAsync(queue), $"{queue} is a quorum queue");
        }
    }

    [Fact]
    public async Task PoisonMessage_IsParked_Reported_AndReplayedOnceItsCauseIsFixed()
    {
        var phone = LoopHost.NewPhone();
        var errorQueue = host.Prefix + "orchestrator-missed-call_error";
        // A cause that can never pass by itself: a constraint this one number breaks (a stand-in for a bug or bad data).
        await using var c = new NpgsqlConnection(host.Database.ConnectionString);
        await c.ExecuteAsync($"ALTER TABLE orchestrator.recovery_items ADD CONSTRAINT poison_test CHECK (phone IS DISTINCT FROM '{phone}') NOT VALID");
        await host.MissAsync(phone);
        await Eventually.ValueAsync(() => BrokerQueues.CountAsync(errorQueue), n => n == 1, TimeSpan.FromSeconds(30), "the message parked");

        var parked = host.Services.GetRequiredService<ParkedMessages>();
        await parked.RefreshAsync(CancellationToken.None);
        Assert.Equal(1, parked.Counts[errorQueue]);
        var ready = await host.Orchestrator.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var health = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Degraded", health.GetProperty("status").GetString());
        var check = health.GetProperty("checks").GetProperty("parked-messages");
        Assert.Equal("Degraded", check.GetProperty("status").GetString());
        Assert.Contains(errorQueue + "=1", check.GetProperty("description").GetString(), StringComparison.Ordinal);
        var scrape = await PrometheusScrape.GetAsync(host.Orchestrator);
        Assert.Contains(scrape.Samples, s => s.Name == "recoverycomms_error_queue_messages" && s.Labels.Contains(errorQueue, StringComparison.Ordinal) && s.Value == 1);

        var csr = await host.UserAsync("csr");
        Assert.Equal(HttpStatusCode.Forbidden, (await host.SendAsync(csr, HttpMethod.Post, "/api/operations/replay-errors")).StatusCode);

        await c.ExecuteAsync("ALTER TABLE orchestrator.recovery_items DROP CONSTRAINT poison_test");
        var admin = await host.UserAsync("admin");
        var replay = await host.SendAsync(admin, HttpMethod.Post, "/api/operations/replay-errors");
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        var answer = await replay.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, answer.GetProperty("replayed").GetProperty(errorQueue).GetInt32());

        await Eventually.ValueAsync(() => ItemsForAsync([phone]), n => n == 1, TimeSpan.FromSeconds(30), "the replayed call became an item");
        Assert.Equal(0u, await BrokerQueues.CountAsync(errorQueue));
        Assert.Equal(0, parked.Counts[errorQueue]);
    }

    private async Task<int> ItemsForAsync(IReadOnlyList<string> phones)
    {
        await using var c = new NpgsqlConnection(host.Database.ConnectionString);
        return await c.ExecuteScalarAsync<int>("SELECT count(DISTINCT phone) FROM orchestrator.recovery_items WHERE phone = ANY(@Phones)", new { Phones = phones.ToArray() });
    }
}
