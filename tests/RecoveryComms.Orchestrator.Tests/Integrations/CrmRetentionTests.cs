using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Orchestrator.Integrations;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Integrations;

/// <summary>
/// The orchestrator's prune steps on a migrated orchestrator schema (no service on it), run as the service's role
/// with a business clock: CRM delivery bodies are emptied 30 days after the delivery settled and the rows deleted
/// after 180; pending deliveries are never touched; published outbox rows go after 7 days.
/// </summary>
public sealed class CrmRetentionTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 18, 17, 0, 0, TimeSpan.Zero);
    private static readonly RetentionOptions Small = new() { BatchSize = 40, BatchPause = TimeSpan.Zero };

    private TestDatabase _database = null!;
    private NpgsqlDataSource _app = null!;
    private RetentionRunner _runner = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await DatabaseMigrator.MigrateAsync(new MigrationPlan("orchestrator", typeof(OrchestratorEntryPoint).Assembly, _database.ConnectionString), CancellationToken.None);
        _app = NpgsqlDataSource.Create(await _database.AppLoginAsync("orchestrator"));
        _runner = new RetentionRunner(_app, new TestClock(Now), NullLogger<RetentionRunner>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    private static async Task<Guid> DeliveriesAsync(NpgsqlConnection c, int count, string status, TimeSpan settledAgo)
    {
        var webhookId = Guid.NewGuid();
        await c.ExecuteAsync(
            "INSERT INTO orchestrator.webhook_subscriptions (id, url, events, secret, created_at, created_by) VALUES (@webhookId, 'http://crm.test/hooks', '{item.created}', 's', @at, 'test')",
            new { webhookId, at = Now - TimeSpan.FromDays(400) });
        var settled = Now - settledAgo;
        var pending = status == "pending";
        await c.ExecuteAsync(
            """
            INSERT INTO orchestrator.webhook_deliveries
                (webhook_id, event_id, event_type, body, status, attempts, created_at, expires_at, next_attempt_at, last_attempt_at, last_status_code, delivered_at)
            SELECT @webhookId, gen_random_uuid(), 'item.created', '{"phone":"+13125550123"}', @status, 1, @created, @expires,
                   CASE WHEN @pending THEN @settled END, @settled, 200, CASE WHEN @status = 'delivered' THEN @settled END
            FROM generate_series(1, @count)
            """, new { webhookId, status, pending, count, settled, created = settled - TimeSpan.FromMinutes(1), expires = settled + TimeSpan.FromDays(1) });
        return webhookId;
    }

    private static async Task<(long Rows, long Bodies)> LeftAsync(NpgsqlConnection c, Guid webhookId) =>
        await c.QuerySingleAsync<(long, long)>(
            "SELECT count(*), count(body) FROM orchestrator.webhook_deliveries WHERE webhook_id = @webhookId", new { webhookId });

    [Fact]
    public async Task Run_EmptiesSettledBodiesAfter30Days_DeletesRowsAfter180_LeavesPendingAlone()
    {
        await using var c = new NpgsqlConnection(_database.ConnectionString);
        await c.OpenAsync();
        var delivered31 = await DeliveriesAsync(c, 90, "delivered", TimeSpan.FromDays(31));
        var failed31 = await DeliveriesAsync(c, 3, "failed", TimeSpan.FromDays(31));
        var delivered29 = await DeliveriesAsync(c, 3, "delivered", TimeSpan.FromDays(29));
        var delivered181 = await DeliveriesAsync(c, 50, "delivered", TimeSpan.FromDays(181));
        var pendingOld = await DeliveriesAsync(c, 2, "pending", TimeSpan.FromDays(200));

        var runs = await _runner.RunAsync(CrmRetention.Steps, Small, CancellationToken.None);

        Assert.Equal((90L, 0L), await LeftAsync(c, delivered31));
        Assert.Equal((3L, 0L), await LeftAsync(c, failed31));
        Assert.Equal((3L, 3L), await LeftAsync(c, delivered29));
        Assert.Equal((0L, 0L), await LeftAsync(c, delivered181));
        Assert.Equal((2L, 2L), await LeftAsync(c, pendingOld));
        // The log survives the body: status, attempts and the CRM's answer stay.
        Assert.All(await c.QueryAsync<(string, int, int)>(
                "SELECT status, attempts, last_status_code FROM orchestrator.webhook_deliveries WHERE webhook_id = @delivered31", new { delivered31 }),
            row => Assert.Equal(("delivered", 1, 200), row));
        Assert.Equal((93, 3), runs.Where(r => r.Step == CrmRetention.CrmBodies.Name).Select(r => (r.Rows, r.Batches)).Single());
    }

    [Fact]
    public async Task Body_OfAPendingDelivery_CannotBeEmptied()
    {
        await using var c = new NpgsqlConnection(_database.ConnectionString);
        await c.OpenAsync();
        var pending = await DeliveriesAsync(c, 1, "pending", TimeSpan.FromDays(1));

        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            c.ExecuteAsync("UPDATE orchestrator.webhook_deliveries SET body = NULL WHERE webhook_id = @pending", new { pending }));

        Assert.Equal(PostgresErrorCodes.CheckViolation, refused.SqlState);
    }

    [Fact]
    public async Task Outbox_PublishedRowsOlderThan7Days_ArePruned_UnpublishedStay()
    {
        await using var c = new NpgsqlConnection(_database.ConnectionString);
        await c.ExecuteAsync(
            """
            INSERT INTO orchestrator.outbox (message_id, message_type, payload, created_at, published_at)
            SELECT gen_random_uuid(), 'Old', '{}', now() - interval '9 days', now() - interval '8 days' FROM generate_series(1, 100);
            INSERT INTO orchestrator.outbox (message_id, message_type, payload, created_at, published_at)
            VALUES (gen_random_uuid(), 'Unpublished', '{}', now() - interval '30 days', NULL),
                   (gen_random_uuid(), 'Young', '{}', now() - interval '6 days', now() - interval '6 days');
            """);

        var run = await _runner.RunStepAsync(CrmRetention.Outbox, Small, CancellationToken.None);

        Assert.Equal(new[] { "Unpublished", "Young" }, (await c.QueryAsync<string>("SELECT message_type FROM orchestrator.outbox ORDER BY 1")).ToArray());
        Assert.Equal((100, 3), (run.Rows, run.Batches));
    }
}
