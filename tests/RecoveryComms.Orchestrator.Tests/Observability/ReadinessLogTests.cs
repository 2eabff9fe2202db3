using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using RecoveryComms.Hosting.Observability;

namespace RecoveryComms.Orchestrator.Tests.Observability;

public sealed class ReadinessLogTests
{
    private sealed class Lines : ILogger<ReadinessLog>
    {
        public List<(LogLevel Level, string Message)> Written { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Written.Add((logLevel, formatter(state, exception)));
    }

    private static HealthReport Report(params (string Name, HealthStatus Status)[] checks) =>
        new(checks.ToDictionary(c => c.Name, c => new HealthReportEntry(c.Status, $"{c.Name} is {c.Status}", TimeSpan.Zero, null, null)), TimeSpan.Zero);

    [Fact]
    public void Observe_WhileStarting_LogsRedChecksAsNotReadyYet_NeverAsErrors()
    {
        var lines = new Lines();
        var log = new ReadinessLog(lines);

        log.Observe(Report(("postgres", HealthStatus.Unhealthy), ("settings", HealthStatus.Unhealthy)));
        log.Observe(Report(("postgres", HealthStatus.Unhealthy), ("settings", HealthStatus.Unhealthy)));
        log.Observe(Report(("postgres", HealthStatus.Healthy), ("settings", HealthStatus.Healthy)));

        Assert.Equal(
            [(LogLevel.Information, "Not ready yet: postgres: postgres is Unhealthy"), (LogLevel.Information, "Not ready yet: settings: settings is Unhealthy"), (LogLevel.Information, "Ready (Healthy)")],
            lines.Written);
    }

    [Fact]
    public void Observe_OnceReady_LogsEachChangeOnce_RedAsAnError()
    {
        var lines = new Lines();
        var log = new ReadinessLog(lines);
        log.Observe(Report(("outbox", HealthStatus.Healthy)));
        lines.Written.Clear();

        log.Observe(Report(("outbox", HealthStatus.Degraded)));
        log.Observe(Report(("outbox", HealthStatus.Unhealthy)));
        log.Observe(Report(("outbox", HealthStatus.Unhealthy)));
        log.Observe(Report(("outbox", HealthStatus.Healthy)));

        Assert.Equal(
            [(LogLevel.Warning, "Readiness check outbox is Degraded: outbox is Degraded"), (LogLevel.Error, "Readiness check outbox is Unhealthy: outbox is Unhealthy"), (LogLevel.Information, "Readiness check outbox is Healthy again")],
            lines.Written);
    }
}
