using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace RecoveryComms.Hosting.Observability;

/// <summary>How a component exports its figures at <c>/metrics</c>.</summary>
/// <remarks>
/// A component creates its meter from the host's <see cref="IMeterFactory"/> as <c>RecoveryComms.&lt;Component&gt;</c>
/// (any name under <see cref="MeterNames"/> is exported) and registers itself with <see cref="AddMetricsSource{T}"/>.
/// Instrument names are the Prometheus names in OpenTelemetry's dotted form with the unit apart: a gauge
/// <c>recoverycomms.timer.lag</c> with unit <c>s</c> is exported as <c>recoverycomms_timer_lag_seconds</c>; a
/// counter gains <c>_total</c>; a unit in braces (<c>{message}</c>) adds nothing.
/// </remarks>
public static class Metrics
{
    /// <summary>The meters exported: every RecoveryComms component's.</summary>
    public const string MeterNames = "RecoveryComms.*";

    /// <summary>
    /// Registers <typeparamref name="T"/> as a singleton that the metrics pipeline creates at start, so its
    /// observable instruments exist before the first scrape even if nothing else asks for it.
    /// </summary>
    public static IServiceCollection AddMetricsSource<T>(this IServiceCollection services)
        where T : class
    {
        services.AddSingleton<T>();
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInstrumentation(provider => provider.GetRequiredService<T>()));
        return services;
    }
}

/// <summary>
/// A figure read from PostgreSQL when Prometheus scrapes: a cheap query under a short timeout. A failure reports
/// nothing for that scrape (an absent sample, never a made-up 0 and never an exception out of the callback) and is
/// logged at most once a minute, so an outage does not write a line per scrape.
/// </summary>
public sealed partial class ScrapedFigure(string name, ILogger logger)
{
    /// <summary>Each query's budget: three of them during an outage still answer within Prometheus's 10 s scrape timeout.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan LogEvery = TimeSpan.FromMinutes(1);
    private long _lastLoggedAt = long.MinValue;

    /// <summary>Runs <paramref name="query"/> synchronously (observable callbacks are synchronous) and returns its measurement, or none.</summary>
    public IEnumerable<Measurement<double>> Observe(Func<CancellationToken, Task<double>> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            // Note: ASP.NET Core has no synchronization context, so waiting here cannot deadlock; it holds one
            // thread-pool thread for at most Timeout while Prometheus waits for the answer anyway.
            return [new Measurement<double>(query(timeout.Token).GetAwaiter().GetResult())];
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Note: scrape timing is infrastructure time, read from the system clock even where tests fake business time.
            var now = TimeProvider.System.GetUtcNow().UtcTicks;
            var last = Interlocked.Read(ref _lastLoggedAt);
            if (now - last >= LogEvery.Ticks && Interlocked.CompareExchange(ref _lastLoggedAt, now, last) == last)
            {
                LogFailed(name, e.GetType().Name, e.Message);
            }

            return [];
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading {Metric} for /metrics failed ({ErrorType}: {Error}); it is left out of scrapes until the query answers (logged at most once a minute)")]
    private partial void LogFailed(string metric, string errorType, string error);
}
