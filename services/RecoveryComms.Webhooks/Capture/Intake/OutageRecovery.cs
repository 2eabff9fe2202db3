using Npgsql;
using RecoveryComms.Hosting.Background;
using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>
/// Notices, once a second, that PostgreSQL or the spool is back: replays the webhook journal (which tries both)
/// and, while PostgreSQL is known down, probes it. Voice routes never try a dependency known to be down, so
/// without this loop they would not notice its return.
/// </summary>
public sealed class OutageRecovery(
    WebhookKeeper keeper, WebhookJournal journal, StorageOutage outage, NpgsqlDataSource dataSource, BackgroundLoops loops, ILogger<OutageRecovery> logger)
    // Note: runs while PostgreSQL is away (that is its job), so it does not wait for the migrations. A step fails only
    // for a fault of our own (outages are handled inside it): logged, backed off, and shown in readiness as Degraded.
    : BackgroundLoop(loops, new LoopSettings(LoopName, "Replaying the webhook journal") { Idle = Interval, AfterMigrations = false }, logger)
{
    /// <summary>The loop's health and readiness name.</summary>
    public const string LoopName = "journal-replay";

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private const string ProbeSql = "SELECT 1 FROM webhooks.inbound_webhooks LIMIT 1";

    protected override async Task<LoopStep> StepAsync(CancellationToken ct)
    {
        if (outage.PostgresDown)
        {
            await ProbePostgresAsync(ct);
        }

        if (journal.Count > 0)
        {
            await keeper.ReplayJournalAsync(callSid: null, ct);
        }

        return LoopStep.Idle;
    }

    private async Task ProbePostgresAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(timeout.Token);
            await using var command = new NpgsqlCommand(ProbeSql, connection);
            await command.ExecuteScalarAsync(timeout.Token);
            outage.PostgresAnswered();
        }
        catch (Exception e) when (!ct.IsCancellationRequested && (e is OperationCanceledException || DatabaseErrors.IsUnavailable(e)))
        {
            // Still down.
        }
    }
}
