using Dapper;
using MassTransit;
using Npgsql;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Attempts;

/// <summary>Settles an attempt whose customer leg never reported after the CSR's leg ended: the customer was not reached.</summary>
public sealed class AttemptSettleTimer(ItemChanges changes) : ITimerHandler
{
    public IReadOnlyCollection<string> Kinds { get; } = [TimerKinds.AttemptSettle];

    public async Task FireAsync(NpgsqlConnection c, NpgsqlTransaction tx, DueTimer timer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var attemptId = await AttemptStore.CancelUndialledAsync(c, tx, timer.ItemId!.Value, changes.Now, ct);
        var item = attemptId is null ? null : await RecoveryItemStore.LockAsync(c, tx, timer.ItemId!.Value, ct);
        if (item is null)
        {
            return;
        }

        await AttemptOutcomes.NotCountedAsync(c, tx, changes, item, attemptId!.Value, Actor.System,
            "The call ended before the customer was dialled. It does not count as an attempt.", ct);
    }
}
