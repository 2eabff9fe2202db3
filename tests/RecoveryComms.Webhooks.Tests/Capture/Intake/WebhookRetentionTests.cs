using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Testing;
using RecoveryComms.Webhooks.Capture.Intake;

namespace RecoveryComms.Webhooks.Tests.Capture.Intake;

/// <summary>
/// A migrated webhooks schema with no service on it (no relay moves the rows a test writes), pruned by the
/// webhooks service's own steps as the service's role (recoverycomms_app), so the grants are tested too. One per
/// test: a row one test leaves unpublished holds back another's raw webhooks.
/// </summary>
public sealed class RetentionDatabase : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;

    public NpgsqlDataSource App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        await DatabaseMigrator.MigrateAsync(new MigrationPlan("webhooks", typeof(WebhooksEntryPoint).Assembly, Database.ConnectionString), CancellationToken.None);
        App = NpgsqlDataSource.Create(await Database.AppLoginAsync("webhooks"));
    }

    public RetentionRunner Runner() => new(App, TimeProvider.System, NullLogger<RetentionRunner>.Instance);

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Database.DisposeAsync();
    }
}

public sealed class WebhookRetentionTests : IAsyncLifetime
{
    private static readonly RetentionOptions Small = new() { BatchSize = 100, BatchPause = TimeSpan.Zero };

    private readonly RetentionDatabase _db = new();

    public Task InitializeAsync() => _db.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    /// <summary>Raw webhooks stored <paramref name="age"/> ago, each with one event the relay published then; returns their SID prefix.</summary>
    private async Task<string> StoreAsync(int count, TimeSpan age, bool published = true)
    {
        var prefix = $"CA{Guid.NewGuid():N}"[..20];
        await using var c = await _db.OpenAsync();
        await c.ExecuteAsync(
            """
            WITH w AS (
                INSERT INTO webhooks.inbound_webhooks (provider_sid, kind, route, parameters, received_at, stored_at, response_status)
                SELECT @prefix || g, 'status', '/twilio/voice/status', '[]', now() - make_interval(secs => @seconds), now() - make_interval(secs => @seconds), 200
                FROM generate_series(1, @count) g
                RETURNING stored_at)
            INSERT INTO webhooks.outbox (message_id, message_type, payload, created_at, published_at)
            SELECT gen_random_uuid(), 'Test', '{}', stored_at, CASE WHEN @published THEN stored_at END FROM w
            """, new { prefix, count, seconds = age.TotalSeconds, published });
        return prefix;
    }

    private async Task<long> CountAsync(string prefix)
    {
        await using var c = await _db.OpenAsync();
        return await c.ExecuteScalarAsync<long>("SELECT count(*) FROM webhooks.inbound_webhooks WHERE provider_sid LIKE @p", new { p = prefix + "%" });
    }

    [Fact]
    public async Task RawWebhooks_OlderThanTheWindowAndPublished_ArePrunedInBatches()
    {
        var old = await StoreAsync(250, TimeSpan.FromDays(8));
        var young = await StoreAsync(5, TimeSpan.FromDays(6));

        var run = await _db.Runner().RunStepAsync(WebhookRetention.RawWebhooks, Small, CancellationToken.None);

        Assert.Equal(0, await CountAsync(old));
        Assert.Equal(5, await CountAsync(young));
        Assert.Equal(250, run.Rows);
        Assert.Equal(3, run.Batches);
        Assert.False(run.Skipped);
    }

    [Fact]
    public async Task RawWebhooks_WhoseEventsAreNotPublished_Stay()
    {
        var before = await StoreAsync(3, TimeSpan.FromDays(30));
        var unpublished = await StoreAsync(3, TimeSpan.FromDays(20), published: false);
        var after = await StoreAsync(3, TimeSpan.FromDays(10));

        await _db.Runner().RunStepAsync(WebhookRetention.RawWebhooks, Small, CancellationToken.None);

        // Older than every unpublished event: theirs are out. The rest might have led to the unpublished ones.
        Assert.Equal(0, await CountAsync(before));
        Assert.Equal(3, await CountAsync(unpublished));
        Assert.Equal(3, await CountAsync(after));

        await using (var c = await _db.OpenAsync())
        {
            await c.ExecuteAsync("UPDATE webhooks.outbox SET published_at = now() WHERE published_at IS NULL");
        }

        await _db.Runner().RunStepAsync(WebhookRetention.RawWebhooks, Small, CancellationToken.None);
        Assert.Equal(0, await CountAsync(unpublished));
        Assert.Equal(0, await CountAsync(after));
    }

    [Fact]
    public async Task RawWebhooks_WhoseEventsWereDeadLettered_StayWithTheDeadLetters()
    {
        var prefix = await StoreAsync(1, TimeSpan.FromDays(40));
        await using (var c = await _db.OpenAsync())
        {
            await c.ExecuteAsync(
                """
                WITH moved AS (DELETE FROM webhooks.outbox o USING webhooks.inbound_webhooks w
                               WHERE w.provider_sid = @sid AND o.created_at = w.stored_at
                               RETURNING o.id, o.message_id, o.message_type, o.payload, o.created_at)
                INSERT INTO webhooks.outbox_dead_letters (outbox_id, message_id, message_type, payload, created_at, error)
                SELECT id, message_id, message_type, payload, created_at, 'unknown message type Test' FROM moved
                """, new { sid = prefix + "1" });
        }

        var runs = await _db.Runner().RunAsync(WebhookRetention.Steps, Small, CancellationToken.None);

        Assert.Equal(1, await CountAsync(prefix));
        Assert.All(runs, r => Assert.False(r.Skipped));
    }

    [Fact]
    public async Task RawWebhooks_InsideTwiliosRetryWindow_StayEvenWithATooShortSetting()
    {
        var recent = await StoreAsync(3, TimeSpan.FromHours(2));
        var dayOld = await StoreAsync(3, TimeSpan.FromHours(25));
        var tooShort = new RetentionOptions { BatchSize = 100, BatchPause = TimeSpan.Zero, RawWebhooks = TimeSpan.FromMinutes(1) };

        await _db.Runner().RunStepAsync(WebhookRetention.RawWebhooks, tooShort, CancellationToken.None);

        Assert.Equal(3, await CountAsync(recent));
        Assert.Equal(0, await CountAsync(dayOld));
    }

    [Fact]
    public async Task Outbox_PublishedRowsOlderThanTheWindow_ArePrunedInBatches_UnpublishedStay()
    {
        var marker = Guid.NewGuid().ToString("N");
        await using var c = await _db.OpenAsync();
        await c.ExecuteAsync(
            """
            INSERT INTO webhooks.outbox (message_id, message_type, payload, created_at, published_at)
            SELECT gen_random_uuid(), @marker, '{}', now() - interval '9 days', CASE WHEN g <= 230 THEN now() - interval '8 days' END
            FROM generate_series(1, 235) g;
            INSERT INTO webhooks.outbox (message_id, message_type, payload, created_at, published_at)
            VALUES (gen_random_uuid(), @marker, '{}', now() - interval '2 days', now() - interval '2 days');
            """, new { marker });

        var run = await _db.Runner().RunStepAsync(WebhookRetention.Outbox, Small, CancellationToken.None);

        var left = (await c.QueryAsync<(bool Published, int Count)>(
            "SELECT published_at IS NOT NULL, count(*)::int FROM webhooks.outbox WHERE message_type = @marker GROUP BY 1 ORDER BY 1", new { marker })).AsList();
        Assert.Equal(new[] { (false, 5), (true, 1) }, left);
        Assert.Equal((230, 3), (run.Rows, run.Batches));
    }

    [Fact]
    public async Task DeadLetters_AreKeptFor90Days()
    {
        var marker = Guid.NewGuid().ToString("N");
        await using var c = await _db.OpenAsync();
        await c.ExecuteAsync(
            """
            INSERT INTO webhooks.outbox_dead_letters (outbox_id, message_id, message_type, payload, created_at, error, dead_at)
            SELECT -((random() * 1e12)::bigint) - g, gen_random_uuid(), @marker, '{}', now() - interval '1 year', 'x',
                   CASE WHEN g = 1 THEN now() - interval '89 days' ELSE now() - interval '91 days' END
            FROM generate_series(1, 3) g
            """, new { marker });

        await _db.Runner().RunStepAsync(WebhookRetention.DeadLetters, new RetentionOptions(), CancellationToken.None);

        Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM webhooks.outbox_dead_letters WHERE message_type = @marker", new { marker }));
    }

    [Fact]
    public async Task Step_WhileAnotherReplicaHoldsIt_IsSkipped()
    {
        var old = await StoreAsync(2, TimeSpan.FromDays(8));
        await using var other = await _db.OpenAsync();
        await using var tx = await other.BeginTransactionAsync();
        Assert.True(await other.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_xact_lock(hashtextextended('recoverycomms-retention:' || @step, 0))",
            new { step = WebhookRetention.RawWebhooks.Name }, tx));

        var run = await _db.Runner().RunStepAsync(WebhookRetention.RawWebhooks, Small, CancellationToken.None);

        Assert.True(run.Skipped);
        Assert.Equal(2, await CountAsync(old));
    }
}

/// <summary>The webhooks service with retention configured: what its start-up accepts and what its worker does.</summary>
public sealed class RetentionStartTests
{
    private static WebApplicationFactory<WebhooksEntryPoint> Service(TestDatabase database, Uri rabbit, params (string Key, string Value)[] settings) =>
        new WebApplicationFactory<WebhooksEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseTestInfrastructure(database.ConnectionString, rabbit, $"t{Guid.NewGuid():N}"[..12] + "-");
            web.UseSetting("Twilio:AccountSid", "AC00000000000000000000000000000001");
            web.UseSetting("Twilio:AuthToken", WebhooksHost.AuthToken);
            web.UseSetting("Twilio:PublicBaseUrl", WebhooksHost.PublicBaseUrl);
            web.UseSetting("Webhooks:JournalPath", Path.Combine(Path.GetTempPath(), "recoverycomms-tests", $"{Guid.NewGuid():N}.jsonl"));
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
        });

    [Fact]
    public async Task Start_WithRawWebhooksShorterThanADay_IsRefused()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var factory = Service(database, await TestInfrastructure.RabbitMqAsync(), ("Retention:RawWebhooks", "12:00:00"));

        var refused = Assert.ThrowsAny<Exception>(() => factory.Services.GetRequiredService<RetentionRunner>());

        Assert.Contains("RawWebhooks", refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_PrunesOnItsOwn_EveryPeriod()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var factory = Service(database, await TestInfrastructure.RabbitMqAsync(), ("Retention:Every", "00:00:01"));
        var migrations = factory.Services.GetRequiredService<MigrationState>();
        await Eventually.ValueAsync(() => Task.FromResult(migrations.Done), done => done, TimeSpan.FromSeconds(60), "migrated");
        await using var c = new NpgsqlConnection(database.ConnectionString);
        await c.ExecuteAsync(
            """
            INSERT INTO webhooks.inbound_webhooks (provider_sid, kind, route, parameters, received_at, stored_at, response_status)
            VALUES ('CAold', 'status', '/twilio/voice/status', '[]', now() - interval '8 days', now() - interval '8 days', 200),
                   ('CAnew', 'status', '/twilio/voice/status', '[]', now(), now(), 200);
            INSERT INTO webhooks.outbox (message_id, message_type, payload, created_at, published_at)
            VALUES (gen_random_uuid(), 'Test', '{}', now() - interval '8 days', now() - interval '8 days');
            """);

        await Eventually.ValueAsync(() => c.ExecuteScalarAsync<long>("SELECT count(*) FROM webhooks.inbound_webhooks WHERE provider_sid = 'CAold'"),
            left => left == 0, TimeSpan.FromSeconds(30), "the old raw webhook pruned");
        await Eventually.ValueAsync(() => c.ExecuteScalarAsync<long>("SELECT count(*) FROM webhooks.outbox WHERE message_type = 'Test'"),
            left => left == 0, TimeSpan.FromSeconds(30), "the old published outbox row pruned");
        Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM webhooks.inbound_webhooks WHERE provider_sid = 'CAnew'"));
    }
}
