using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Hosting.Background;

/// <summary>
/// What every background loop of a service shares: the wait for the service's migrations, infrastructure time, and
/// one <see cref="LoopHealth"/> per loop name, which its readiness check reads.
/// </summary>
public sealed class BackgroundLoops(BackgroundTime time, MigrationState? migrations = null)
{
    private readonly ConcurrentDictionary<string, LoopHealth> _health = new(StringComparer.Ordinal);

    public BackgroundTime Time { get; } = time;

    /// <summary>Completes once the service's schema is migrated (at once in a host without PostgreSQL).</summary>
    public Task MigratedAsync(CancellationToken ct) => migrations?.WaitAsync(ct) ?? Task.CompletedTask;

    /// <summary>The health of the loop named <paramref name="name"/> (one per name, whoever asks first).</summary>
    public LoopHealth Health(string name) => _health.GetOrAdd(name, n => new LoopHealth(n, Time.Clock));
}

public static class LoopHealthChecks
{
    /// <summary>The loops' shared services, with the system clock (<see cref="ServiceDefaults"/> calls this).</summary>
    public static IServiceCollection AddBackgroundLoops(this IServiceCollection services)
    {
        services.TryAddSingleton(BackgroundTime.System);
        services.TryAddSingleton<BackgroundLoops>();
        return services;
    }

    /// <summary>
    /// A readiness check (tag <c>ready</c>) named <paramref name="name"/> that reports the loop of that name: Degraded
    /// while it fails, and Unhealthy once it has failed for longer than <paramref name="unhealthyAfter"/> says
    /// (null, or no function: never, for a loop whose failure does not stop the service's job).
    /// </summary>
    public static IHealthChecksBuilder AddLoopCheck(this IHealthChecksBuilder builder, string name, Func<IServiceProvider, TimeSpan?>? unhealthyAfter = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(name,
            provider => new LoopHealthCheck(provider.GetRequiredService<BackgroundLoops>().Health(name), unhealthyAfter?.Invoke(provider)),
            failureStatus: null, tags: ["ready"]));
    }
}

internal sealed class LoopHealthCheck(LoopHealth health, TimeSpan? unhealthyAfter) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(health.Check(unhealthyAfter));
}
