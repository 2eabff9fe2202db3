using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Observability;

namespace RecoveryComms.Orchestrator.Timers;

/// <summary>How late a due timer may be before readiness says so (<c>TimerLag</c> section).</summary>
public sealed class TimerLagOptions
{
    public const string Section = "TimerLag";

    /// <summary>Readiness is Degraded (still 200) past this lag: timers fire late, a CSR's clock is off.</summary>
    [TimeSpanRange("00:00:01", "01:00:00")]
    public TimeSpan DegradedAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Readiness is Unhealthy (503) past this lag: this replica's timer loop is not keeping up or not running, and
    /// the 5-minute backup trigger is already late by more than its own length.
    /// </summary>
    [TimeSpanRange("00:00:01", "1.00:00:00")]
    public TimeSpan UnhealthyAfter { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Timer lag: now minus the oldest <c>due_at</c> of the timers already due (0 when none is). The worker fires a due
/// timer within a poll (100 ms), so a lag of seconds means every loop is busy, failing, or holding a claim that
/// does not end (a frozen replica); it is the first figure that says callers are waiting longer than promised.
/// Exported as <c>recoverycomms_timer_lag_seconds</c> and part of readiness.
/// </summary>
/// <remarks>
/// "Now" is the injected <see cref="TimeProvider"/>, the business time that <c>due_at</c> is written in. A timer
/// whose handler failed is postponed (its <c>due_at</c> moves), so a failing handler shows in the log, not here.
/// </remarks>
public sealed class TimerLag
{
    // Note: timers_due (due_at) answers min() from its first entry, however many timers are pending.
    private const string OldestDueSql = """
        SELECT min(due_at) FROM orchestrator.timers WHERE due_at <= @Now
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly ScrapedFigure _figure;

    public TimerLag(NpgsqlDataSource dataSource, TimeProvider time, IMeterFactory meters, ILogger<TimerLag> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _dataSource = dataSource;
        _time = time;
        _figure = new ScrapedFigure("recoverycomms_timer_lag_seconds", logger);
        meters.Create("RecoveryComms.Timers").CreateObservableGauge(
            "recoverycomms.timer.lag", () => _figure.Observe(async ct => (await MeasureAsync(ct)).TotalSeconds), unit: "s",
            description: "Now minus the oldest due time of the timers already due (0 when none is due).");
    }

    /// <summary>How late the oldest due timer is; zero when none is due. Throws when PostgreSQL does not answer.</summary>
    public async Task<TimeSpan> MeasureAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await using var command = _dataSource.CreateCommand(OldestDueSql);
        command.Parameters.AddWithValue("Now", now);
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime oldest
            ? TimeSpan.FromTicks(Math.Max(0, (now - new DateTimeOffset(oldest, TimeSpan.Zero)).Ticks))
            : TimeSpan.Zero;
    }
}

/// <summary>Degraded past <see cref="TimerLagOptions.DegradedAfter"/>, Unhealthy past <see cref="TimerLagOptions.UnhealthyAfter"/>.</summary>
public sealed class TimerLagHealthCheck(TimerLag lag, IOptions<TimerLagOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        TimeSpan late;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ScrapedFigure.Timeout);
            late = await lag.MeasureAsync(timeout.Token);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            // The postgres check reports the outage itself; this one only says the lag is unknown.
            return HealthCheckResult.Degraded($"timer lag unknown: {e.Message}");
        }

        var seconds = (int)late.TotalSeconds;
        return late switch
        {
            _ when late > options.Value.UnhealthyAfter => HealthCheckResult.Unhealthy($"timers fire {seconds} s late (over {options.Value.UnhealthyAfter})"),
            _ when late > options.Value.DegradedAfter => HealthCheckResult.Degraded($"timers fire {seconds} s late (over {options.Value.DegradedAfter})"),
            _ => HealthCheckResult.Healthy($"timer lag {seconds} s"),
        };
    }
}

public static class TimerLagExtensions
{
    /// <summary>The timer lag gauge and its readiness check.</summary>
    public static IServiceCollection AddTimerLag(this IServiceCollection services)
    {
        services.AddValidatedOptions<TimerLagOptions>(TimerLagOptions.Section);
        services.AddMetricsSource<TimerLag>();
        services.AddHealthChecks().AddCheck<TimerLagHealthCheck>("timer-lag", tags: ["ready"]);
        return services;
    }
}
