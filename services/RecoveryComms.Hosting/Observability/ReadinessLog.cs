using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace RecoveryComms.Hosting.Observability;

/// <summary>
/// Logs readiness as it changes, once per change of a check, instead of a line per probe: until the service has been
/// ready once, a red check is only "not ready yet" (migrations pending, settings not loaded, the bus connecting) and
/// logged at Information; after that a red check is a failure (Error, with the check's exception), a Degraded one a
/// Warning, and a check that is green again Information.
/// </summary>
/// <remarks>
/// Note: it replaces the health check service's own lines (<see cref="ServiceDefaults"/> silences them), which wrote
/// a <c>fail:</c> for every red check of every probe, so a load balancer probing a starting replica filled its log
/// with errors that were no error.
/// </remarks>
public sealed partial class ReadinessLog(ILogger<ReadinessLog> logger)
{
    /// <summary>The category whose per-probe lines this replaces.</summary>
    public const string HealthCheckServiceCategory = "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, HealthStatus> _last = new(StringComparer.Ordinal);
    private bool _beenReady;

    /// <summary>Logs what changed since the previous readiness report.</summary>
    public void Observe(HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var changes = new List<(string Name, HealthReportEntry Entry, bool Known)>();
        bool starting;
        bool becameReady;
        lock (_gate)
        {
            starting = !_beenReady;
            foreach (var (name, entry) in report.Entries)
            {
                var known = _last.TryGetValue(name, out var before);
                if (known ? before != entry.Status : entry.Status != HealthStatus.Healthy)
                {
                    changes.Add((name, entry, known));
                }

                _last[name] = entry.Status;
            }

            becameReady = starting && report.Status != HealthStatus.Unhealthy;
            _beenReady |= becameReady;
        }

        foreach (var (name, entry, known) in changes)
        {
            var description = entry.Description ?? entry.Exception?.Message ?? "";
            switch (entry.Status)
            {
                case HealthStatus.Healthy when known && !starting:
                    LogHealthy(name);
                    break;
                case HealthStatus.Degraded:
                    LogDegraded(name, description);
                    break;
                case HealthStatus.Unhealthy when starting:
                    LogNotReadyYet(name, description);
                    break;
                case HealthStatus.Unhealthy:
                    LogUnhealthy(entry.Exception, name, description);
                    break;
            }
        }

        if (becameReady)
        {
            LogReady(report.Status);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Not ready yet: {Check}: {Description}")]
    private partial void LogNotReadyYet(string check, string description);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ready ({Status})")]
    private partial void LogReady(HealthStatus status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Readiness check {Check} is Unhealthy: {Description}")]
    private partial void LogUnhealthy(Exception? e, string check, string description);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Readiness check {Check} is Degraded: {Description}")]
    private partial void LogDegraded(string check, string description);

    [LoggerMessage(Level = LogLevel.Information, Message = "Readiness check {Check} is Healthy again")]
    private partial void LogHealthy(string check);
}
