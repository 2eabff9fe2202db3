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
/// What the loop's timers do to an item: start its clock at the morning opening, hand it to the backup owner
/// when nobody claimed or called by the first-attempt target, escalate it to the manager when no attempt was
/// made by the SLA, and bring a limbo item back at its next-check time.
/// </summary>
public sealed class LoopTimers(ItemChanges changes, StaffAlerts alerts, ShopCalendar calendar) : ITimerHandler
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

        switch (timer.Kind)
        {
            case TimerKinds.ClockStart:
                await changes.NoteAsync(c, tx, item, Actor.System, TimelineKinds.ClockStarted, "The shop opened: this after-hours item is now on the clock.", ct);
                break;
            case TimerKinds.FirstAttemptDue:
                await BackupTriggerAsync(c, tx, item, ct);
                break;
            case TimerKinds.SlaDue:
                await EscalateAsync(c, tx, item, ct);
                break;
            case TimerKinds.LimboCheck when item.Status == ItemStatuses.Limbo:
                item.Status = ItemStatuses.NeedsCallback;
                item.NextCheckAt = null;
                await changes.SaveAsync(c, tx, item, Actor.System, TimelineKinds.LimboCheck, "Next-check time reached: back in the queue.", ct);
                await alerts.RaiseAsync(c, tx, item, "limbo-check:" + item.Version.ToString(CultureInfo.InvariantCulture), item.PrimaryOwnerId,
                    "A callback you parked is due for another look.", ct);
                break;
        }
    }

    private async Task BackupTriggerAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, CancellationToken ct)
    {
        // A parked (limbo) item or one waiting on the customer has a person and a next step already.
        if (item.ClaimedAt is not null || item.Attempts > 0 || item.Status is ItemStatuses.Limbo or ItemStatuses.WaitingOnCustomer)
        {
            return;
        }

        var duty = await Rotation.DutyAsync(c, tx, calendar.Local(changes.Now).DayOfWeek, ct);
        var backup = item.BackupOwnerId ?? duty.BackupUserId;
        if (backup is not null && backup != item.PrimaryOwnerId)
        {
            // The backup takes the item; the primary stays on it as the second named person.
            (item.PrimaryOwnerId, item.BackupOwnerId) = (backup, item.PrimaryOwnerId);
        }

        item.BackupTriggeredAt = changes.Now;
        await changes.SaveAsync(c, tx, item, Actor.System, TimelineKinds.BackupTriggered,
            "Nobody claimed or called within the first-attempt target: the backup owner takes it.", ct);
        await alerts.RaiseAsync(c, tx, item, TimelineKinds.BackupTriggered, item.PrimaryOwnerId,
            $"Callback waiting: nobody has called back a {item.Type} yet. It is yours now.", ct);
    }

    private async Task EscalateAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, CancellationToken ct)
    {
        // An item a manager escalated by hand is escalated already: its escalation time and alert stand.
        if (item.Attempts > 0 || item.Status is ItemStatuses.WaitingOnCustomer or ItemStatuses.Limbo or ItemStatuses.Escalated)
        {
            return;
        }

        var duty = await Rotation.DutyAsync(c, tx, calendar.Local(changes.Now).DayOfWeek, ct);
        item.Status = ItemStatuses.Escalated;
        item.EscalatedAt = changes.Now;
        await changes.SaveAsync(c, tx, item, Actor.System, TimelineKinds.Escalated, "No attempt within the SLA: escalated to the manager.", ct);
        await alerts.RaiseAsync(c, tx, item, TimelineKinds.Escalated, duty.ManagerUserId,
            $"Escalated: a {item.Type} has had no callback attempt within the SLA.", ct);
    }
}
