using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RecoveryComms.Hosting.Background;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Background;

/// <summary>The one LISTEN listener against the real PostgreSQL: it hears, it reconnects when its session is killed, and it catches up.</summary>
public sealed class PostgresListenerTests : IAsyncLifetime
{
    private readonly string _channel = $"test_listener_{Guid.NewGuid():N}";
    private readonly ConcurrentQueue<string> _heard = new();
    private readonly ConcurrentQueue<bool> _caughtUp = new();
    private readonly CancellationTokenSource _stop = new();
    private NpgsqlDataSource _dataSource = null!;
    private PostgresListener _listener = null!;
    private Task _running = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await TestInfrastructure.PostgresAsync());
        _listener = new PostgresListener(_dataSource, new BackgroundLoops(BackgroundTime.System), "test-listener", "Listening in a test", [_channel], NullLogger.Instance);
        _running = _listener.RunAsync(e => _heard.Enqueue(e.Payload), (reconnect, _) =>
        {
            _caughtUp.Enqueue(reconnect);
            return Task.CompletedTask;
        }, _stop.Token);
        await Eventually.ValueAsync(() => Task.FromResult(_listener.Listening), listening => listening, TimeSpan.FromSeconds(20), "listening");
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _running);
        await _dataSource.DisposeAsync();
        _stop.Dispose();
    }

    private async Task NotifyAsync(string payload)
    {
        await using var command = _dataSource.CreateCommand("SELECT pg_notify(@Channel, @Payload)");
        command.Parameters.AddWithValue("Channel", _channel);
        command.Parameters.AddWithValue("Payload", payload);
        await command.ExecuteNonQueryAsync();
    }

    private Task<string[]> HeardAsync(string payload) =>
        Eventually.ValueAsync(() => Task.FromResult(_heard.ToArray()), heard => heard.Contains(payload), TimeSpan.FromSeconds(20), $"{payload} heard");

    [Fact]
    public async Task Notify_ReachesTheListener_AfterItsFirstCatchUp()
    {
        await NotifyAsync("first");

        await HeardAsync("first");
        Assert.Equal([false], _caughtUp.ToArray());
        Assert.Equal(HealthStatus.Healthy, _listener.Health.Check(TimeSpan.FromSeconds(1)).Status);
    }

    [Fact]
    public async Task KilledSession_Reconnects_CatchesUp_AndHearsAgain()
    {
        await using (var kill = _dataSource.CreateCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = @Listen"))
        {
            kill.Parameters.AddWithValue("Listen", $"LISTEN {_channel}");
            Assert.Equal(1L, await kill.ExecuteScalarAsync());
        }

        // The catch-up after the reconnect is what covers a NOTIFY sent while nobody listened.
        await Eventually.ValueAsync(() => Task.FromResult(_caughtUp.ToArray()), caught => caught.SequenceEqual([false, true]), TimeSpan.FromSeconds(20), "caught up after the reconnect");
        Assert.True(_listener.Listening);
        await NotifyAsync("after the reconnect");

        await HeardAsync("after the reconnect");
        Assert.Equal((HealthStatus.Healthy, 0), (_listener.Health.Check(TimeSpan.FromSeconds(1)).Status, _listener.Health.ConsecutiveFailures));
        Assert.NotNull(_listener.Health.LastSuccessAt);
    }
}
