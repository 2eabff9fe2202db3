using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Hosting.Data;

/// <summary>
/// <c>dotnet RecoveryComms.&lt;Service&gt;.dll migrate</c>: applies the service's migrations as the role that owns its
/// schema (<c>ConnectionStrings:PostgresMigrations</c>) and exits, before the service starts. Least privilege: the
/// running service then logs in with its own login only (<c>ConnectionStrings:Postgres</c>) and never holds the
/// owner's credentials or connection (docs/security.md).
/// </summary>
public static class MigrateCommand
{
    /// <summary>True when the process was started to migrate, not to serve.</summary>
    public static bool IsRequested(string[] args) => args is ["migrate", ..];

    /// <summary>
    /// Migrates <paramref name="schema"/>, waiting up to <c>--wait</c> seconds (60) for PostgreSQL to answer; the exit
    /// code: 0 done, 1 failed, 2 misconfigured. Settings come as the service reads them (appsettings, environment,
    /// command line).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, string schema, Assembly migrations, TextWriter? output = null, TextWriter? error = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        output ??= Console.Out;
        error ??= Console.Error;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args[1..], DisableDefaults = false });
        builder.Logging.ClearProviders();
        var configuration = builder.Configuration;
        if (configuration.GetConnectionString("PostgresMigrations") is not { Length: > 0 } owner)
        {
            await error.WriteLineAsync($"{schema}: ConnectionStrings:PostgresMigrations is not set (the role that owns the schema runs the migrations).");
            return 2;
        }

        if (!int.TryParse(configuration["wait"] ?? "60", System.Globalization.CultureInfo.InvariantCulture, out var waitSeconds) || waitSeconds < 0)
        {
            await error.WriteLineAsync($"{schema}: --wait must be a whole number of seconds, not '{configuration["wait"]}'.");
            return 2;
        }

        var plan = new MigrationPlan(schema, migrations, owner);
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(waitSeconds);
        while (true)
        {
            try
            {
                var applied = await DatabaseMigrator.MigrateAsync(plan, CancellationToken.None);
                await output.WriteLineAsync($"{schema}: {applied} migration(s) applied; {plan.Scripts.Count} in all, the schema is current.");
                return 0;
            }
            catch (Exception e) when (DatabaseErrors.IsUnavailable(e) && e is not PostgresException && TimeProvider.System.GetUtcNow() < deadline)
            {
                // Note: PostgreSQL starting or not reachable yet: wait, as the services would (a SQL error is not retried).
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                await error.WriteLineAsync($"{schema}: the migrations failed: {e.Message}");
                return 1;
            }
        }
    }
}

/// <summary>
/// In a service that does not migrate (the default): readiness stays red until the schema's journal lists every
/// migration this build carries, so a service never serves a schema older than its code.
/// </summary>
internal sealed partial class SchemaCheckHostedService : BackgroundLoop
{
    private readonly MigrationPlan _plan;
    private readonly MigrationState _state;
    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<SchemaCheckHostedService> _logger;
    private string? _reported;

    // Note: polled every 2 s on the loops' clock (real time): a test's controlled business clock must not stall it.
    public SchemaCheckHostedService(MigrationPlan plan, MigrationState state, NpgsqlDataSource dataSource, BackgroundLoops loops, ILogger<SchemaCheckHostedService> logger)
        : base(loops, new LoopSettings("schema-check", $"Checking schema {plan?.Schema}") { AfterMigrations = false, Idle = TimeSpan.FromSeconds(2) }, logger)
    {
        ArgumentNullException.ThrowIfNull(plan);
        (_plan, _state, _dataSource, _logger) = (plan, state, dataSource, logger);
    }

    protected override async Task<LoopStep> StepAsync(CancellationToken ct)
    {
        string? problem;
        try
        {
            await using var command = _dataSource.CreateCommand($"SELECT scriptname FROM \"{_plan.Schema}\".schema_versions");
            var applied = new HashSet<string>(StringComparer.Ordinal);
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    applied.Add(reader.GetString(0));
                }
            }

            var missing = _plan.Scripts.Where(s => !applied.Contains(s)).ToList();
            problem = missing.Count == 0 ? null
                : $"schema {_plan.Schema} lacks {missing.Count} migration(s), first {missing[0]}: run `dotnet {_plan.Assembly.GetName().Name}.dll migrate`";
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            problem = $"schema {_plan.Schema} is not migrated: run `dotnet {_plan.Assembly.GetName().Name}.dll migrate`";
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // PostgreSQL itself is away: the loop logs it and backs off.
            _state.LastError = $"PostgreSQL: {e.Message}";
            throw;
        }

        _state.LastError = problem;
        if (problem is null)
        {
            _state.MarkDone();
            LogCurrent(_plan.Schema);
            return LoopStep.Done;
        }

        if (problem != _reported)
        {
            LogNotCurrent(_plan.Schema, problem);
            _reported = problem;
        }

        return LoopStep.Idle;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Schema {Schema} is current")]
    private partial void LogCurrent(string schema);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schema {Schema} is not ready for this build: {Problem}")]
    private partial void LogNotCurrent(string schema, string problem);
}
