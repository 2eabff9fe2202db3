using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Orchestrator.Alerts;
using RecoveryComms.Orchestrator.Owners;
using RecoveryComms.Orchestrator.Settings;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Items;

/// <summary>
/// The loop's timers, each one transition of the item (<see cref="RecoveryItem"/>): the clock starts at the morning
/// opening (<see cref="RecoveryItem.StartClock"/>), the backup owner takes an item nobody claimed or called by the
/// first-attempt target (<see cref="RecoveryItem.TriggerBackup"/>), an item with no attempt by the SLA is escalated
/// (<see cref="RecoveryItem.EscalateOverdue"/>), and a limbo item comes back at its next-check time
/// (<see cref="RecoveryItem.ReturnFromLimbo"/>). When each is due is <see cref="LoopClock"/>'s answer.
/// </summary>
public sealed class LoopTimers(ItemChanges changes, ShopCalendar calendar) : ITimerHandler
{
    public IReadOnlyCollection<string> Kinds { get; } = [TimerKinds.ClockStart, TimerKinds.FirstAttemptDue, TimerKinds.SlaDue, TimerKinds.LimboCheck];

    public async Task FireAsync(NpgsqlConnection c, NpgsqlTransaction tx, DueTimer timer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var item = timer.ItemId is { } id ? await RecoveryItemStore.LockAsync(c, tx, id, ct) : null;
        if (item is null || !item.IsOpen)
        {
            return;
        }

        var change = timer.Kind switch
        {
            TimerKinds.ClockStart => item.StartClock(),
            TimerKinds.FirstAttemptDue => item.TriggerBackup(await TodayAsync(c, tx, ct), changes.Now),
            TimerKinds.SlaDue => item.EscalateOverdue(await TodayAsync(c, tx, ct), changes.Now),
            TimerKinds.LimboCheck => item.ReturnFromLimbo(),
            _ => ItemChange.None,
        };
        await changes.ApplyAsync(c, tx, item, Actor.System, change, ct);
    }

    private Task<Duty> TodayAsync(NpgsqlConnection c, NpgsqlTransaction tx, CancellationToken ct) =>
        Rotation.DutyAsync(c, tx, calendar.Local(changes.Now).DayOfWeek, ct);
}
