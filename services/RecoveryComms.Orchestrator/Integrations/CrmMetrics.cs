using System.Diagnostics.Metrics;
using RecoveryComms.Hosting.Observability;

namespace RecoveryComms.Orchestrator.Integrations;

/// <summary>
/// <c>recoverycomms_crm_oldest_pending_seconds</c>: how long the oldest outbound CRM webhook has waited without being
/// delivered, failed or cancelled (0 when none waits). Deliveries retry for 24 hours, so an hour means a subscriber
/// has been refusing or unreachable for an hour and its CRM is that far behind the queue.
/// </summary>
public sealed class CrmMetrics
{
    private readonly WebhookStore _store;
    private readonly TimeProvider _time;
    private readonly ScrapedFigure _figure;

    public CrmMetrics(WebhookStore store, TimeProvider time, IMeterFactory meters, ILogger<CrmMetrics> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _store = store;
        _time = time;
        _figure = new ScrapedFigure("recoverycomms_crm_oldest_pending_seconds", logger);
        meters.Create("RecoveryComms.Integrations").CreateObservableGauge(
            "recoverycomms.crm.oldest_pending", () => _figure.Observe(OldestPendingAsync), unit: "s",
            description: "Age of the oldest CRM webhook delivery still pending (0 when none is).");
    }

    public async Task<double> OldestPendingAsync(CancellationToken cancellationToken)
    {
        // Note: created_at is written in business time (the injected TimeProvider), so the age is taken from it too.
        return await _store.OldestPendingAsync(cancellationToken) is { } oldest
            ? Math.Max(0, (_time.GetUtcNow() - new DateTimeOffset(oldest, TimeSpan.Zero)).TotalSeconds)
            : 0;
    }
}
