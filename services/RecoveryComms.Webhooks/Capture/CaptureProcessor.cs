using Npgsql;
using RecoveryComms.Webhooks.Capture.Calls;
using RecoveryComms.Webhooks.Capture.Intake;

namespace RecoveryComms.Webhooks.Capture;

/// <summary>
/// Stores a callback and what follows from it in one transaction: the raw webhook (once), then the route's
/// capture step (call, voicemail or message state and the events for the outbox). Nothing is acknowledged to
/// Twilio before this commits.
/// </summary>
public sealed class CaptureProcessor(NpgsqlDataSource dataSource)
{
    /// <summary>Stores the callback; a duplicate gets the answer stored with the first copy.</summary>
    /// <param name="spooled">True when it is stored late, from the spool or the journal.</param>
    public async Task<WebhookAnswer> StoreAsync(WebhookRoute route, WebhookRequest request, CallbackKey key, WebhookAnswer answer, bool spooled, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(request);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (request["CallSid"] is { } callSid)
        {
            // Note: one call's callbacks are stored one after another. A recording stored beside its call's first
            // callback otherwise sees no call (not committed yet) while the call sees no recording (likewise), and
            // the voicemail waits forever; concurrent replay of the spool did exactly that.
            await CallStore.LockCallAsync(connection, tx, callSid, ct);
        }

        if (!await WebhookLog.TryInsertAsync(connection, tx, request, key, answer, spooled, ct))
        {
            var stored = await WebhookLog.StoredAnswerAsync(connection, tx, key, ct);
            await tx.CommitAsync(ct);
            return stored;
        }

        if (route.Capture is { } capture)
        {
            await capture(new CaptureContext(connection, tx, request, ct));
        }

        await tx.CommitAsync(ct);
        return answer;
    }

    /// <summary>Closes idle pooled connections (an outage broke them); busy ones close when they are returned.</summary>
    public void ForgetIdleConnections() => dataSource.Clear();
}
