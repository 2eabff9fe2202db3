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
        var attemptId = await c.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            """
            UPDATE orchestrator.call_attempts SET result = 'canceled', ended_at = @At
            WHERE item_id = @ItemId AND result IN ('placing', 'ringing-csr', 'connecting') AND customer_leg_status IS NULL
            RETURNING id
            """, new { timer.ItemId, At = changes.Now }, tx, cancellationToken: ct));
        var item = attemptId is null ? null : await RecoveryItemStore.LockAsync(c, tx, timer.ItemId!.Value, ct);
        if (item is null)
        {
            return;
        }

        await AttemptOutcomes.UncountAsync(c, tx, item, attemptId!.Value, ct);
        await changes.SaveAsync(c, tx, item, Actor.System, TimelineKinds.AttemptResult,
            "The call ended before the customer was dialled. It does not count as an attempt.", ct);
    }
}
