using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using RecoveryComms.Orchestrator.Tests.Queue;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Metrics;

/// <summary>The loop with a short outbox threshold, so a test sees the relay's readiness turn red quickly.</summary>
public sealed class MetricsHost : LoopHost
{
    public static readonly TimeSpan OutboxUnhealthyAfter = TimeSpan.FromSeconds(2);

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Outbox:UnhealthyAfter"] = OutboxUnhealthyAfter.ToString(),
    };
}

public sealed class MetricsTests(MetricsHost host) : IClassFixture<MetricsHost>
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> ReadyAsync()
    {
        using var response = await host.Orchestrator.GetAsync("/health/ready");
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static string? Check(JsonElement body, string name) => body.GetProperty("checks").GetProperty(name).GetProperty("status").GetString();

    /// <summary>
    /// A timer that fell due <paramref name="ago"/> and that nobody fires: held (<c>FOR UPDATE</c>) as a frozen replica
    /// holds its claim, so the timer loop skips it. Disposing deletes it.
    /// </summary>
    private async Task<IAsyncDisposable> StuckTimerAsync(TimeSpan ago)
    {
        var connection = new NpgsqlConnection(host.Database.ConnectionString);
        await connection.OpenAsync();
        // Note: the timer loop polls every 100 ms and may claim the timer between its insert and the lock; then it is
        // gone (an unknown kind is dropped) and another is made, until one is held.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var kind = $"metrics-test-{Guid.NewGuid():N}";
            await using (var insert = new NpgsqlCommand("INSERT INTO orchestrator.timers (kind, item_id, due_at) VALUES (@Kind, NULL, @DueAt)", connection))
            {
                insert.Parameters.AddWithValue("Kind", kind);
                insert.Parameters.AddWithValue("DueAt", host.Clock.Now - ago);
                await insert.ExecuteNonQueryAsync();
            }

            var hold = await connection.BeginTransactionAsync();
            await using var select = new NpgsqlCommand("SELECT count(*) FROM (SELECT id FROM orchestrator.timers WHERE kind = @Kind FOR UPDATE) held", connection, hold);
            select.Parameters.AddWithValue("Kind", kind);
            if ((long)(await select.ExecuteScalarAsync())! == 1)
            {
                return new StuckTimer(connection, hold);
            }

            await hold.RollbackAsync();
            await hold.DisposeAsync();
        }

        throw new InvalidOperationException("the timer loop claimed every stuck timer before the test could hold one");
    }

    private sealed class StuckTimer(NpgsqlConnection connection, NpgsqlTransaction hold) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using (var delete = new NpgsqlCommand("DELETE FROM orchestrator.timers WHERE kind LIKE 'metrics-test-%'", connection, hold))
            {
                await delete.ExecuteNonQueryAsync();
            }

            await hold.CommitAsync();
            await hold.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task Scrape_Anonymous_AnswersPrometheusTextWithTheOrchestratorFigures()
    {
        var scrape = await PrometheusScrape.GetAsync(host.Orchestrator);

        Assert.StartsWith("text/plain", scrape.ContentType, StringComparison.Ordinal);
        foreach (var name in new[]
        {
            "recoverycomms_timer_lag_seconds", "recoverycomms_outbox_oldest_unpublished_seconds", "recoverycomms_stream_subscribers",
            "recoverycomms_stream_dropped_events_total", "recoverycomms_crm_oldest_pending_seconds",
        })
        {
            Assert.Contains(name, scrape.Names);
        }

        // recoverycomms_error_queue_messages has a sample per error queue once they are first read (every 10 s):
        // ConsumerFailureTests.PoisonMessage_IsParked_Reported_AndReplayedOnceItsCauseIsFixed scrapes it.
        Assert.Contains("# TYPE recoverycomms_timer_lag_seconds gauge", scrape.Text, StringComparison.Ordinal);
        Assert.Contains("# TYPE recoverycomms_stream_dropped_events_total counter", scrape.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TimerLag_WithATimerDue90SecondsAgo_Is90SecondsAndReadinessIsDegraded()
    {
        Assert.Equal([0.0], MeterReading.Observe(host.Services, "recoverycomms.timer.lag"));
        await using (await StuckTimerAsync(TimeSpan.FromSeconds(90)))
        {
            Assert.Equal([90.0], MeterReading.Observe(host.Services, "recoverycomms.timer.lag"));
            var (status, body) = await ReadyAsync();
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("Degraded", body.GetProperty("status").GetString());
            Assert.Equal("Degraded", Check(body, "timer-lag"));
        }

        Assert.Equal([0.0], MeterReading.Observe(host.Services, "recoverycomms.timer.lag"));
        Assert.Equal("Healthy", Check((await ReadyAsync()).Body, "timer-lag"));
    }

    [Fact]
    public async Task Readiness_WithATimerSixMinutesLate_IsUnhealthy()
    {
        await using (await StuckTimerAsync(TimeSpan.FromMinutes(6)))
        {
            var (status, body) = await ReadyAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("Unhealthy", Check(body, "timer-lag"));
        }

        Assert.Equal(HttpStatusCode.OK, (await ReadyAsync()).Status);
    }

    [Fact]
    public async Task StreamSubscribers_CountsConnectedConsoleClients()
    {
        var csr = await host.UserAsync("csr", LoopHost.NewPhone());
        Assert.Equal([0.0], MeterReading.Observe(host.Services, "recoverycomms.stream.subscribers"));
        using (var feed = await host.Orchestrator.SendAsync(LoopHost.As(csr.ApiKey, HttpMethod.Get, "/api/stream"), HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await feed.Content.ReadAsStreamAsync());
            Assert.Equal("event: ready", await reader.ReadLineAsync());
            Assert.Equal([1.0], MeterReading.Observe(host.Services, "recoverycomms.stream.subscribers"));
        }

        await Eventually.ValueAsync(() => Task.FromResult(MeterReading.Observe(host.Services, "recoverycomms.stream.subscribers")),
            values => values.SequenceEqual([0.0]), TimeSpan.FromSeconds(10), "the client is gone");
    }

    // Note: the outbox check's 503 is the rule on every service but the webhooks service (OutboxRelayTests there).
    [Fact]
    public async Task Readiness_WhenTheRelayFailsLongerThanTheThreshold_TurnsRed()
    {
        Assert.Equal(HttpStatusCode.OK, (await ReadyAsync()).Status);
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        await connection.OpenAsync();
        await using (var away = new NpgsqlCommand("ALTER TABLE orchestrator.outbox RENAME TO outbox_away", connection))
        {
            await away.ExecuteNonQueryAsync();
        }

        try
        {
            var (_, body) = await Eventually.ValueAsync(ReadyAsync, ready => ready.Status == HttpStatusCode.ServiceUnavailable,
                MetricsHost.OutboxUnhealthyAfter + TimeSpan.FromSeconds(20), "readiness turns red");
            Assert.Equal("Unhealthy", Check(body, "outbox"));
        }
        finally
        {
            await using var back = new NpgsqlCommand("ALTER TABLE orchestrator.outbox_away RENAME TO outbox", connection);
            await back.ExecuteNonQueryAsync();
        }

        await Eventually.ValueAsync(ReadyAsync, ready => ready.Status == HttpStatusCode.OK, TimeSpan.FromSeconds(20), "readiness turns green again");
    }
}
