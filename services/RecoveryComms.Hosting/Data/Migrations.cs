using System.Reflection;
using DbUp;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace RecoveryComms.Hosting.Data;

/// <summary>Which schema a service owns and where its numbered .sql migrations are embedded.</summary>
public sealed record MigrationPlan(string Schema, Assembly Assembly, string ConnectionString);

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
    public static async Task MigrateAsync(MigrationPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        await using var connection = new NpgsqlConnection(plan.ConnectionString);
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

            var upgrader = DeployChanges.To.PostgresqlDatabase(plan.ConnectionString, plan.Schema)
                .WithScriptsEmbeddedInAssembly(plan.Assembly, name => name.Contains(".Migrations.", StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
                .JournalToPostgresqlTable(plan.Schema, "schema_versions")
                .WithTransactionPerScript()
                .LogToNowhere()
                .Build();
            var result = upgrader.PerformUpgrade();
            if (!result.Successful)
            {
                throw new InvalidOperationException($"Migration {result.ErrorScript?.Name} failed: {result.Error?.Message}", result.Error);
            }
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
