using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Npgsql;
using RecoveryComms.Hosting.Messaging;

namespace RecoveryComms.Hosting.Observability;

/// <summary>
/// <c>recoverycomms_outbox_oldest_unpublished_seconds</c>: how long the oldest event of this service's outbox has
/// waited for the relay (0 when every event is published). It grows while the broker or the relay is down, and
/// says how far behind the service's consumers are in hearing about it.
/// </summary>
public sealed class OutboxMetrics
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _sql;
    private readonly ScrapedFigure _figure;

    public OutboxMetrics(Outbox outbox, NpgsqlDataSource dataSource, IMeterFactory meters, ILogger<OutboxMetrics> logger)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        ArgumentNullException.ThrowIfNull(meters);
        _dataSource = dataSource;
        // Note: the partial index outbox_unpublished (id WHERE published_at IS NULL) answers this from its first entry;
        // the age is computed by PostgreSQL from its own clock, the one that wrote created_at. The schema is the
        // service's own constant, as in Outbox.
        _sql = $"""
            SELECT COALESCE(EXTRACT(EPOCH FROM now() - (
                SELECT created_at FROM {outbox.Schema}.outbox WHERE published_at IS NULL ORDER BY id LIMIT 1)), 0)::float8
            """;
        _figure = new ScrapedFigure("recoverycomms_outbox_oldest_unpublished_seconds", logger);
        meters.Create("RecoveryComms.Outbox").CreateObservableGauge(
            "recoverycomms.outbox.oldest_unpublished", () => _figure.Observe(OldestAsync), unit: "s",
            description: "Age of the oldest outbox event not yet published to RabbitMQ (0 when none waits).");
    }

    /// <summary>The age in seconds of the oldest unpublished event, 0 when none waits.</summary>
    public async Task<double> OldestAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql);
        return (double)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
