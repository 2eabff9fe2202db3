using Npgsql;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Orchestrator.Alerts;
using RecoveryComms.Orchestrator.Integrations;
using RecoveryComms.Orchestrator.Timers;
using RecoveryComms.Orchestrator.Views;

namespace RecoveryComms.Orchestrator.Items;

/// <summary>
/// The one way an item is written: the row, its timeline entry, its timers, its staff alert, the event for the
/// shop's CRM and the NOTIFY of the live feed, all in the caller's transaction, so what the console, the timers and
/// the CRM see can never disagree. What to write is decided by the item's transitions (<see cref="RecoveryItem"/>);
/// this class only carries it out (<see cref="ApplyAsync"/>).
/// </summary>
public sealed class ItemChanges(CrmWebhooks crm, StaffAlerts alerts, Outbox outbox, TimeProvider time)
{
    /// <summary>Timeline kinds that are also events for the shop's CRM (<c>recovery.*</c>).</summary>
    private static readonly Dictionary<string, string> CrmEventOf = new(StringComparer.Ordinal)
    {
        [TimelineKinds.Created] = CrmEvents.Created,
        [TimelineKinds.Claimed] = CrmEvents.Claimed,
        [TimelineKinds.AttemptPlaced] = CrmEvents.Attempt,
        [TimelineKinds.AttemptResult] = CrmEvents.Attempt,
        [TimelineKinds.SmsResult] = CrmEvents.Sms,
        [TimelineKinds.Escalated] = CrmEvents.Escalated,
        [TimelineKinds.Disposed] = CrmEvents.Disposed,
        [TimelineKinds.OptedOut] = CrmEvents.Disposed,
    };

    public DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>A new item: its row, its <c>created</c> entry, its loop timers and the CRM's <c>recovery.created</c>.</summary>
    public async Task CreateAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, Actor actor, string detail, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        await RecoveryItemStore.InsertAsync(c, tx, item, actor, detail, ct);
        await PublishAsync(c, tx, item, TimelineKinds.Created, ct);
        foreach (var timer in item.LoopTimers(Now))
        {
            await TimerStore.ArmAsync(c, tx, timer.Kind, item.Id, ItemQueries.Utc(timer.At), ct);
        }
    }

    /// <summary>
    /// Carries out what a transition decided: nothing when it was refused or does not apply; else the row (unless
    /// only a note), the timeline entry, the timers, the consent service's flag, the staff alert and the CRM event.
    /// A completed item waits for nothing: its timers are cancelled.
    /// </summary>
    public async Task ApplyAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, Actor actor, ItemChange change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(change);
        if (change.IsRefused || change.Kind is not { } kind)
        {
            return;
        }

        if (change.NoteOnly)
        {
            await RecoveryItemStore.AppendAsync(c, tx, item, actor, kind, change.Detail, Now, ct);
        }
        else
        {
            await RecoveryItemStore.SaveAsync(c, tx, item, actor, kind, change.Detail, Now, ct);
        }

        if (!item.IsOpen)
        {
            await TimerStore.CancelAsync(c, tx, item.Id, ct);
        }

        foreach (var cancelled in change.Cancel)
        {
            await TimerStore.CancelAsync(c, tx, item.Id, ct, cancelled);
        }

        foreach (var timer in change.Arm)
        {
            await TimerStore.ArmAsync(c, tx, timer.Kind, item.Id, ItemQueries.Utc(timer.At), ct);
        }

        if (change.FlagsContact)
        {
            await outbox.EnqueueAsync(c, tx, new RecordContactDisposition(item.Id, item.Id, item.Phone!, item.Outcome == Outcomes.DoNotContact,
                item.Outcome == Outcomes.WrongNumber, false, actor.Id ?? Guid.Empty, actor.Name, item.Note ?? "", new DateTimeOffset(Now, TimeSpan.Zero)), ct);
        }

        if (change.Alert is { } alert)
        {
            await alerts.RaiseAsync(c, tx, item, alert.Trigger, alert.UserId, alert.Text, ct);
        }

        await PublishAsync(c, tx, item, kind, ct);
    }

    /// <summary>
    /// The item's detail changed but not its row or timeline (a call leg rang or connected): the live feed is woken
    /// so the console re-reads it; no timeline entry and no CRM event.
    /// </summary>
    public Task TouchAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        return RecoveryItemStore.NotifyAsync(c, tx, item.Id, ct);
    }

    /// <summary>The CRM's copy: the item as the API shows it after the change, in the same transaction.</summary>
    private async Task PublishAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, string kind, CancellationToken ct)
    {
        if (CrmEventOf.TryGetValue(kind, out var eventType))
        {
            var view = await ItemQueries.GetAsync(c, tx, item.Id, ct);
            await crm.EnqueueAsync(c, tx, eventType, view!, new DateTimeOffset(Now, TimeSpan.Zero), ct);
        }
    }
}
