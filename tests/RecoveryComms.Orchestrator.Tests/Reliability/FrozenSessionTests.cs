using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RecoveryComms.Orchestrator.Tests.Queue;
using RecoveryComms.Orchestrator.Timers;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Reliability;

/// <summary>An orchestrator whose sessions give up an idle transaction after 2 s (60 s by default).</summary>
public sealed class FrozenSessionHost : LoopHost
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Postgres:IdleInTransactionTimeout"] = "00:00:02",
    };
}

/// <summary>A replica that freezes while it holds a timer's claim (SIGSTOP, a long GC pause) must not hold it for good.</summary>
public sealed class FrozenSessionTests(FrozenSessionHost host) : IClassFixture<FrozenSessionHost>
{
    [Fact]
    public async Task TimerClaimedByAFrozenSession_FiresElsewhere_WithinTheIdleTransactionTimeout()
    {
        var csr = await host.UserAsync("csr", LoopHost.NewPhone());
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(csr, phone);
        var itemId = item.GetProperty("id").GetGuid();

        // The frozen replica: a session of the service's own data source (so it carries the service's settings) that
        // claimed the item's backup timer and then stopped doing anything, its transaction open.
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        await using var frozen = await dataSource.OpenConnectionAsync();
        await using var claim = await frozen.BeginTransactionAsync();
        Assert.Single(await frozen.QueryAsync<long>(
            "SELECT id FROM orchestrator.timers WHERE item_id = @Id AND kind = @Kind FOR UPDATE",
            new { Id = itemId, Kind = TimerKinds.FirstAttemptDue }, claim));

        // AdvanceAsync waits (30 s at most) until no timer is due: the claim must come free long before.
        await host.AdvanceAsync(TimeSpan.FromMinutes(6));
        await using var check = new NpgsqlConnection(host.Database.ConnectionString);
        Assert.Equal(0, await check.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM orchestrator.timers WHERE item_id = @Id AND kind = @Kind", new { Id = itemId, Kind = TimerKinds.FirstAttemptDue }));

        // The server ended the frozen session, and with it the claim.
        await Assert.ThrowsAnyAsync<Exception>(() => frozen.ExecuteScalarAsync<int>("SELECT 1", transaction: claim));
    }
}
