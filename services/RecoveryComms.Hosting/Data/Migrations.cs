using System.Reflection;
using DbUp;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace RecoveryComms.Hosting.Data;

/// <summary>Which schema a service owns and where its numbered .sql migrations are embedded.</summary>
/// <param name="ConnectionString">The role that owns the schema; null in a service that only checks the schema is current.</param>
public sealed record MigrationPlan(string Schema, Assembly Assembly, string? ConnectionString)
{
    /// <summary>The embedded scripts, as DbUp names them in the journal (<c>schema_versions.scriptname</c>).</summary>
    public IReadOnlyList<string> Scripts { get; } = [.. Assembly.GetManifestResourceNames().Where(IsMigration).Order(StringComparer.Ordinal)];

    internal static bool IsMigration(string name) => name.Contains(".Migrations.", StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal);
}

public sealed class MigrationState
{
    private volatile bool _done;

    public bool Done => _done;

    public string? LastError { get; internal set; }

    internal void MarkDone() => _done = true;
}

/// <summary>Runs a service's forward-only migrations with DbUp, one replica at a time.</summary>
public static class DatabaseMigrator
{
    /// <summary>Applies what the journal lacks; returns how many scripts ran.</summary>
    public static async Task<int> MigrateAsync(MigrationPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        // Note: no pooling: the owner's connections close with the migrations instead of idling in a pool, so a
        // process that migrated and then serves (tests, Postgres:MigrateOnStart) keeps no owner session open.
        var connectionString = new NpgsqlConnectionStringBuilder(plan.ConnectionString
            ?? throw new InvalidOperationException("No connection string for the migrations (ConnectionStrings:PostgresMigrations).")) { Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);

        // Note: replicas (and parallel test hosts) start together; the advisory lock makes the second one wait
        // for the first instead of both racing to create the journal table.
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext('recoverycomms-migrations:' || @schema))", connection))
        {
            lockCommand.Parameters.AddWithValue("schema", plan.Schema);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await using (var create = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS \"{plan.Schema}\"", connection))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            var upgrader = DeployChanges.To.PostgresqlDatabase(connectionString, plan.Schema)
                .WithScriptsEmbeddedInAssembly(plan.Assembly, MigrationPlan.IsMigration)
                .JournalToPostgresqlTable(plan.Schema, "schema_versions")
                .WithTransactionPerScript()
                .LogToNowhere()
                .Build();
            var result = upgrader.PerformUpgrade();
            if (!result.Successful)
            {
                throw new InvalidOperationException($"Migration {result.ErrorScript?.Name} failed: {result.Error?.Message}", result.Error);
            }

            return result.Scripts.Count();
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext('recoverycomms-migrations:' || @schema))", connection);
            unlock.Parameters.AddWithValue("schema", plan.Schema);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}

internal sealed partial class MigrationHostedService(MigrationPlan plan, MigrationState state, ILogger<MigrationHostedService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DatabaseMigrator.MigrateAsync(plan, stoppingToken);
                state.MarkDone();
                state.LastError = null;
                LogMigrated(plan.Schema);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                state.LastError = e.Message;
                LogMigrationFailed(e, plan.Schema, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Schema {Schema} is migrated")]
    private partial void LogMigrated(string schema);

    [LoggerMessage(Level = LogLevel.Error, Message = "Migrating schema {Schema} failed; retrying in {Delay}")]
    private partial void LogMigrationFailed(Exception e, string schema, TimeSpan delay);
}
