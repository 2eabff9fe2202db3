using Npgsql;
using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>
/// Notices, once a second, that PostgreSQL or the spool is back: replays the webhook journal (which tries both)
/// and, while PostgreSQL is known down, probes it. Voice routes never try a dependency known to be down, so
/// without this loop they would not notice its return.
/// </summary>
public sealed partial class OutageRecovery(
    WebhookKeeper keeper, WebhookJournal journal, StorageOutage outage, NpgsqlDataSource dataSource, ILogger<OutageRecovery> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private const string ProbeSql = "SELECT 1 FROM webhooks.inbound_webhooks LIMIT 1";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (outage.PostgresDown)
                    {
                        await ProbePostgresAsync(stoppingToken);
                    }

                    if (journal.Count > 0)
                    {
                        await keeper.ReplayJournalAsync(callSid: null, stoppingToken);
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Not an outage (those are handled above): a fault of our own. Logged, and tried again next second.
                    LogFailed(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; anything still in the journal is replayed after the restart.
        }
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Replaying the webhook journal failed; trying again in a second")]
    private partial void LogFailed(Exception e);
}
