using System.Reflection;
using DbUp;
using Microsoft.Extensions.Logging;
using Npgsql;
using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Hosting.Data;

/// <summary>Which schema a service owns and where its numbered .sql migrations are embedded.</summary>
/// <param name="ConnectionString">The role that owns the schema; null in a service that only checks the schema is current.</param>
public sealed record MigrationPlan(string Schema, Assembly Assembly, string? ConnectionString)
{
    /// <summary>The embedded scripts, as DbUp names them in the journal (<c>schema_versions.scriptname</c>).</summary>
    public IReadOnlyList<string> Scripts { get; } = [.. Assembly.GetManifestResourceNames().Where(IsMigration).Order(StringComparer.Ordinal)];

    internal static bool IsMigration(string name) => name.Contains(".Migrations.", StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal);
}

/// <summary>Whether the service's schema carries every migration of this build; background loops start once it does.</summary>
public sealed class MigrationState
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Done => _done.Task.IsCompleted;

    public string? LastError { get; internal set; }

    /// <summary>Completes once the schema is current.</summary>
    public Task WaitAsync(CancellationToken ct) => _done.Task.WaitAsync(ct);

    internal void MarkDone() => _done.TrySetResult();
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

/// <summary>Migrates the schema at start (<c>Postgres:MigrateOnStart</c>), trying again with the loops' back-off until it succeeds.</summary>
internal sealed partial class MigrationHostedService : BackgroundLoop
{
    private readonly MigrationPlan _plan;
    private readonly MigrationState _state;
    private readonly ILogger<MigrationHostedService> _logger;

    public MigrationHostedService(MigrationPlan plan, MigrationState state, BackgroundLoops loops, ILogger<MigrationHostedService> logger)
        : base(loops, new LoopSettings("migrations", $"Migrating schema {plan?.Schema}") { AfterMigrations = false }, logger)
    {
        ArgumentNullException.ThrowIfNull(plan);
        (_plan, _state, _logger) = (plan, state, logger);
    }

    protected override async Task<LoopStep> StepAsync(CancellationToken ct)
    {
        try
        {
            await DatabaseMigrator.MigrateAsync(_plan, ct);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            _state.LastError = e.Message;
            throw;
        }

        _state.LastError = null;
        _state.MarkDone();
        LogMigrated(_plan.Schema);
        return LoopStep.Done;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Schema {Schema} is migrated")]
    private partial void LogMigrated(string schema);
}
