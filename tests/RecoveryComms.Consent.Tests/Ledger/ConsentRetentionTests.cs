using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests.Ledger;

/// <summary>
/// The consent service's prune steps on a migrated consent schema (no service on it), run as the service's role:
/// the outbox and its dead letters go by age; the ledger, however old, is never touched.
/// </summary>
public sealed class ConsentRetentionTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private NpgsqlDataSource _app = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await DatabaseMigrator.MigrateAsync(new MigrationPlan("consent", typeof(ConsentEntryPoint).Assembly, _database.ConnectionString), CancellationToken.None);
        _app = NpgsqlDataSource.Create(await _database.AppLoginAsync("consent"));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Run_PrunesOldPublishedOutboxInBatches_KeepsUnpublishedYoungAndTheLedger()
    {
        await using var c = new NpgsqlConnection(_database.ConnectionString);
        await c.ExecuteAsync(
            """
            INSERT INTO consent.outbox (message_id, message_type, payload, created_at, published_at)
            SELECT gen_random_uuid(), 'Old', '{}', now() - interval '9 days', now() - interval '8 days' FROM generate_series(1, 120);
            INSERT INTO consent.outbox (message_id, message_type, payload, created_at, published_at)
            VALUES (gen_random_uuid(), 'Unpublished', '{}', now() - interval '30 days', NULL),
                   (gen_random_uuid(), 'Young', '{}', now() - interval '2 days', now() - interval '2 days');
            INSERT INTO consent.outbox_dead_letters (outbox_id, message_id, message_type, payload, created_at, error, dead_at)
            VALUES (-1, gen_random_uuid(), 'DeadOld', '{}', now() - interval '1 year', 'x', now() - interval '91 days'),
                   (-2, gen_random_uuid(), 'DeadYoung', '{}', now() - interval '1 year', 'x', now() - interval '89 days');
            INSERT INTO consent.consent_events (id, phone, channel, old_state, new_state, source, actor, evidence, needs_review, occurred_at, prev_hash, hash, canonical_version)
            SELECT g, '+13125550123', 'sms', 'unknown', 'opted_out', 'sms-keyword', 'customer', 'STOP', false, now() - interval '10 years', repeat('0', 64), repeat('1', 64), 2
            FROM generate_series(1, 3) g;
            """);
        var runner = new RetentionRunner(_app, TimeProvider.System, NullLogger<RetentionRunner>.Instance);

        var runs = await runner.RunAsync(ConsentRetention.Steps, new RetentionOptions { BatchSize = 50, BatchPause = TimeSpan.Zero }, CancellationToken.None);

        Assert.Equal(new[] { ("Unpublished", 1L), ("Young", 1L) },
            (await c.QueryAsync<(string, long)>("SELECT message_type, count(*) FROM consent.outbox GROUP BY 1 ORDER BY 1")).ToArray());
        Assert.Equal(new[] { "DeadYoung" }, (await c.QueryAsync<string>("SELECT message_type FROM consent.outbox_dead_letters")).ToArray());
        Assert.Equal(3, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM consent.consent_events"));
        Assert.Equal((120, 3), runs.Where(r => r.Step == ConsentRetention.Outbox.Name).Select(r => (r.Rows, r.Batches)).Single());
    }
}
