using Dapper;
using MassTransit;
using Npgsql;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Orchestrator.Intake;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Attempts;

/// <summary>
/// The recording of a bridged click-to-call (when the shop records callbacks): kept on the attempt for the
/// manager's daily review. Its call is the CSR's leg (the one the orchestrator created), so a repeat changes nothing.
/// </summary>
public sealed class CallbackRecordingConsumer(NpgsqlDataSource dataSource, ItemChanges changes) : IConsumer<CallbackRecordingCaptured>
{
    public async Task Consume(ConsumeContext<CallbackRecordingCaptured> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var itemId = await c.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            """
            UPDATE orchestrator.call_attempts SET recording_sid = @RecordingSid, recording_url = @RecordingUrl, recording_seconds = @DurationSeconds, recorded = true
            WHERE (csr_call_sid = @CallSid OR customer_call_sid = @CallSid) AND recording_sid IS DISTINCT FROM @RecordingSid
            RETURNING item_id
            """, new { m.RecordingSid, m.RecordingUrl, m.DurationSeconds, m.CallSid }, tx, cancellationToken: ct));
        if (itemId is { } id && await RecoveryItemStore.LockAsync(c, tx, id, ct) is { } item)
        {
            await changes.NoteAsync(c, tx, item, Actor.System, TimelineKinds.Recorded, $"The call was recorded ({m.DurationSeconds} s) for review.", ct);
        }
        else if (itemId is null && !await c.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM orchestrator.call_attempts WHERE csr_call_sid = @CallSid OR customer_call_sid = @CallSid)", new { m.CallSid }, tx, cancellationToken: ct)))
        {
            throw new NotYetException($"No attempt knows call {m.CallSid} yet.");
        }

        await tx.CommitAsync(ct);
    }
}
