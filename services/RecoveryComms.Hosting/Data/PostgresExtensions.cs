using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace RecoveryComms.Hosting.Data;

public static class PostgresExtensions
{
    /// <summary>
    /// Registers one <see cref="NpgsqlDataSource"/> from <c>ConnectionStrings:Postgres</c> and a readiness check that
    /// is red until PostgreSQL answers and <paramref name="schema"/> carries every migration of this build.
    /// </summary>
    /// <remarks>
    /// Least privilege (docs/security.md): the migrations are their own step, <c>dotnet &lt;service&gt;.dll migrate</c>
    /// (<see cref="MigrateCommand"/>), run as the role that owns the schemas; each service logs in with a login of its
    /// own in its schema's group (<c>recoverycomms_&lt;schema&gt;_app</c>), which may read and write its own schema's
    /// rows and nothing else, and never holds the owner's credentials. Only with <c>Postgres:MigrateOnStart=true</c>
    /// (tests, a laptop) does the service migrate itself, in the background until it succeeds, with
    /// <c>ConnectionStrings:PostgresMigrations</c> (or <c>ConnectionStrings:Postgres</c> when that is not set).
    /// </remarks>
    public static IServiceCollection AddPostgres(this IServiceCollection services, IConfiguration configuration, string schema, System.Reflection.Assembly migrations)
    {
        var connectionString = configuration.GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not set.");
        var migrateOnStart = configuration.GetValue<bool>("Postgres:MigrateOnStart");
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
        services.AddSingleton(new MigrationPlan(schema, migrations, migrateOnStart ? migrationsConnectionString : null));
        services.AddSingleton<MigrationState>();
        if (migrateOnStart)
        {
            services.AddHostedService<MigrationHostedService>();
        }
        else
        {
            services.AddHostedService<SchemaCheckHostedService>();
        }

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
