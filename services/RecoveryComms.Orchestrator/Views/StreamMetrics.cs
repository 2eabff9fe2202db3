using System.Diagnostics.Metrics;

namespace RecoveryComms.Orchestrator.Views;

/// <summary>
/// The live feed, per replica: <c>recoverycomms_stream_subscribers</c> (console clients connected now) and
/// <c>recoverycomms_stream_dropped_events_total</c> (events a client lost because it was over 1,000 behind: its
/// queue view is stale until it reloads). In-process counts; a scrape costs nothing.
/// </summary>
public sealed class StreamMetrics
{
    public StreamMetrics(ItemFeed feed, IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(feed);
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create("RecoveryComms.Queue");
        meter.CreateObservableGauge("recoverycomms.stream.subscribers", () => feed.Subscribers, unit: "{client}",
            description: "Console clients connected to this replica's live feed.");
        meter.CreateObservableCounter("recoverycomms.stream.dropped_events", () => feed.Dropped, unit: "{event}",
            description: "Live-feed events dropped because a client was more than 1,000 events behind.");
    }
}
