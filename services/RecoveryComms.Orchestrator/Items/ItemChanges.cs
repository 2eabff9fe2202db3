using Npgsql;
using RecoveryComms.Orchestrator.Integrations;
using RecoveryComms.Orchestrator.Timers;
using RecoveryComms.Orchestrator.Views;

namespace RecoveryComms.Orchestrator.Items;

/// <summary>
/// The one way an item is written: the row, its timeline entry, its timers and the event for the shop's CRM, all
/// in the caller's transaction, so what the console, the timers and the CRM see can never disagree.
/// </summary>
public sealed class ItemChanges(CrmWebhooks crm, TimeProvider time)
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

    public async Task CreateAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, Actor actor, string detail, CancellationToken ct)
    {
        await RecoveryItemStore.InsertAsync(c, tx, item, actor, detail, ct);
        await PublishAsync(c, tx, item, TimelineKinds.Created, ct);
    }

    public async Task SaveAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, Actor actor, string kind, string detail, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        await RecoveryItemStore.SaveAsync(c, tx, item, actor, kind, detail, Now, ct);
        if (!item.IsOpen)
        {
            // A completed item waits for nothing.
            await TimerStore.CancelAsync(c, tx, item.Id, ct);
        }

        await PublishAsync(c, tx, item, kind, ct);
    }

    /// <summary>A timeline entry that changes no field of the item.</summary>
    public async Task NoteAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, Actor actor, string kind, string detail, CancellationToken ct)
    {
        await RecoveryItemStore.AppendAsync(c, tx, item, actor, kind, detail, Now, ct);
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

        /// <summary>The clock start (after hours), backup trigger and SLA timers of a new item.</summary>
    public async Task ArmLoopTimersAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.ClockStartsAt > Now)
        {
            await TimerStore.ArmAsync(c, tx, TimerKinds.ClockStart, item.Id, ItemQueries.Utc(item.ClockStartsAt), ct);
        }

        await TimerStore.ArmAsync(c, tx, TimerKinds.FirstAttemptDue, item.Id, ItemQueries.Utc(item.FirstAttemptDueAt), ct);
        await TimerStore.ArmAsync(c, tx, TimerKinds.SlaDue, item.Id, ItemQueries.Utc(item.SlaDueAt), ct);
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
