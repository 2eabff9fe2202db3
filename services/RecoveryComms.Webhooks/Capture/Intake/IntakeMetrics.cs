using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>
/// What the intake holds back while PostgreSQL is away, per replica: <c>recoverycomms_spool_messages</c> (webhooks
/// this replica parked on the RabbitMQ spool during the PostgreSQL outage in progress) and
/// <c>recoverycomms_journal_messages</c> (lines in this replica's local journal not yet replayed). Both are
/// in-process counts, so a scrape never waits on a dependency that is down.
/// </summary>
public sealed class IntakeMetrics
{
    public IntakeMetrics(StorageOutage outage, WebhookJournal journal, IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(outage);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create("RecoveryComms.Webhooks");
        meter.CreateObservableGauge("recoverycomms.spool.messages", () => outage.SpooledInOutage, unit: "{message}",
            description: "Webhooks this replica parked on the RabbitMQ spool during the PostgreSQL outage in progress (0 once PostgreSQL answers).");
        meter.CreateObservableGauge("recoverycomms.journal.messages", () => journal.Count, unit: "{message}",
            description: "Voice webhooks in this replica's local journal (neither PostgreSQL nor the spool took them) not yet replayed.");
    }
}

/// <summary>
/// The webhooks service's readiness: Twilio can be answered while the journal, the last resort, can be written. A
/// real write probe in the journal's folder (create, write, flush to disk, delete): a full or read-only volume, or
/// a folder that is gone, turns the replica Unhealthy (503), so a load balancer sends Twilio to a replica that can
/// keep what it is told.
/// </summary>
public sealed class JournalHealthCheck(WebhookJournal journal) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var folder = Path.GetDirectoryName(journal.FilePath)!;
        try
        {
            Directory.CreateDirectory(folder);
            using var probe = new FileStream(
                Path.Combine(folder, $".ready-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            probe.WriteByte(1);
            probe.Flush(flushToDisk: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"the webhook journal's folder {folder} cannot be written: {e.Message}"));
        }

        var pending = journal.Count;
        return Task.FromResult(pending == 0
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Healthy($"{pending} journaled webhooks wait for PostgreSQL or RabbitMQ"));
    }
}
