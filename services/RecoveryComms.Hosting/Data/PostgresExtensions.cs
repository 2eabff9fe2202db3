using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace RecoveryComms.Hosting.Data;

public static class PostgresExtensions
{
    /// <summary>
    /// Registers one <see cref="NpgsqlDataSource"/> from <c>ConnectionStrings:Postgres</c>, the migrations of
    /// <paramref name="schema"/> (run in the background until they succeed, so a service starts even while
    /// PostgreSQL is down) and a readiness check that is red until both answer.
    /// </summary>
    /// <remarks>
    /// Least privilege: the migrations run with <c>ConnectionStrings:PostgresMigrations</c>, a role that owns the
    /// schema, and grant the rows' rights to the group role <c>recoverycomms_app</c>; the service itself logs in
    /// with <c>ConnectionStrings:Postgres</c> as a member of that group, so it can neither alter nor disable what
    /// the migrations built (the consent ledger's append-only trigger above all). Without a migrations connection
    /// string both use <c>ConnectionStrings:Postgres</c>, as before.
    /// </remarks>
    public static IServiceCollection AddPostgres(this IServiceCollection services, IConfiguration configuration, string schema, System.Reflection.Assembly migrations)
    {
        var connectionString = configuration.GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not set.");
        var migrationsConnectionString = configuration.GetConnectionString("PostgresMigrations") is { Length: > 0 } owner ? owner : connectionString;
        // Note: every statement here is a constant string, so server-side preparation pays off: measured in
        // docs/benchmarks.md. A connection string that sets these itself wins.
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        PostgresSessionLimits.FromConfiguration(configuration).ApplyTo(builder);
        connectionString = builder.ConnectionString;
        services.AddSingleton(provider => new NpgsqlDataSourceBuilder(connectionString)
            .UseLoggerFactory(provider.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>())
            .Build());
        services.AddSingleton(new MigrationPlan(schema, migrations, migrationsConnectionString));
        services.AddSingleton<MigrationState>();
        services.AddHostedService<MigrationHostedService>();
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: ["ready"]);
        return services;
    }
}

internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource, MigrationState migrations) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer", e);
        }

        return migrations.Done
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"migrations not applied yet: {migrations.LastError ?? "running"}");
    }
}
