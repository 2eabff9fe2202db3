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
        var itemId = await AttemptStore.RecordingAsync(c, tx, m.CallSid, m.RecordingSid, m.RecordingUrl, m.DurationSeconds, ct);
        if (itemId is { } id && await RecoveryItemStore.LockAsync(c, tx, id, ct) is { } item)
        {
            await changes.ApplyAsync(c, tx, item, Actor.System, RecoveryItem.CallRecorded(m.DurationSeconds), ct);
        }
        else if (itemId is null && !await AttemptStore.KnowsCallAsync(c, tx, m.CallSid, ct))
        {
            throw new NotYetException($"No attempt knows call {m.CallSid} yet.");
        }

        await tx.CommitAsync(ct);
    }
}
