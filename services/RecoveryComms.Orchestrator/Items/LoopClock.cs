using NodaTime;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Orchestrator.Settings;

namespace RecoveryComms.Orchestrator.Items;

/// <summary>When an item's clock starts, and when its first attempt and its SLA fall due.</summary>
public sealed record LoopTimes(DateTimeOffset ClockStartsAt, DateTimeOffset FirstAttemptDueAt, DateTimeOffset SlaDueAt, bool AfterHours);

/// <summary>
/// The recovery loop's clock, by type, in the shop's hours and zone:
/// <list type="bullet">
/// <item>A call in business hours (and an emergency at any hour): the clock starts at once; the backup trigger at
/// <c>FirstAttemptTarget</c>, the escalation at <c>Sla</c>.</item>
/// <item>A call after hours (and an answering service's after-hours request): the clock starts at the next
/// opening; the first attempt is due by <c>AfterHoursFirstAttemptBy</c> that morning (or opening +
/// <c>FirstAttemptTarget</c> when the shop opens later than that); escalation follows by the same margin as by day.</item>
/// <item>A promised update: due at its promised time; the backup checks <c>PromisedCheckBefore</c> earlier.</item>
/// <item>Warranty and estimate: by the close of the next business day. Post-job: 24 to 48 hours after the job.</item>
/// </list>
/// </summary>
/// <remarks>
/// Reads the shop settings in force when it is asked (<see cref="ShopSettings.Current"/>), once per question, so
/// a change made in the console applies to the items created after it; an item's stored due times never move.
/// </remarks>
public sealed class LoopClock(ShopSettings settings)
{
    /// <summary>
    /// Waits until the saved settings were read at start: an item created in the first moments after a restart
    /// (capture events queued meanwhile arrive at once) must not be clocked with configuration's windows.
    /// </summary>
    public Task SettingsLoadedAsync(CancellationToken ct) => settings.Loaded.WaitAsync(ct);

    public LoopTimes ForCall(DateTimeOffset occurredAt, bool capturedAfterHours)
    {
        var s = settings.Current;
        return capturedAfterHours || !s.Week.IsOpen(occurredAt) ? AfterHours(s, occurredAt) : Immediate(s, occurredAt);
    }

    public LoopTimes ForCallback(string type, DateTimeOffset now, DateTimeOffset? dueAt)
    {
        var s = settings.Current;
        return type switch
        {
            ItemTypes.Emergency => ForEmergency(now),
            ItemTypes.AfterHoursRequest => s.Week.IsOpen(now) ? Immediate(s, now) : AfterHours(s, now),
            ItemTypes.PromisedUpdate => Deadline(now, dueAt ?? now + s.Sla, s.PromisedCheckBefore),
            ItemTypes.PostJob => Deadline(dueAt ?? now + TimeSpan.FromHours(24), (dueAt ?? now + TimeSpan.FromHours(24)) + TimeSpan.FromHours(24), TimeSpan.FromHours(4)),
            _ => Deadline(now, dueAt ?? NextBusinessDayClose(s.Week, now), EscalationMargin(s)),
        };
    }

    /// <summary>
    /// An emergency's windows from <paramref name="at"/>, in and out of hours: the clock starts at once, the backup
    /// trigger at <c>EmergencyFirstAttemptTarget</c> (2 minutes), the escalation at <c>EmergencySla</c> (5 minutes).
    /// </summary>
    public LoopTimes ForEmergency(DateTimeOffset at)
    {
        var s = settings.Current;
        return new LoopTimes(at, at + s.EmergencyFirstAttemptTarget, at + s.EmergencySla, AfterHours: !s.Week.IsOpen(at));
    }

    private static TimeSpan EscalationMargin(EffectiveSettings s) => s.Sla - s.FirstAttemptTarget;

    private static LoopTimes Immediate(EffectiveSettings s, DateTimeOffset at) => new(at, at + s.FirstAttemptTarget, at + s.Sla, AfterHours: !s.Week.IsOpen(at));

    private static LoopTimes AfterHours(EffectiveSettings s, DateTimeOffset at)
    {
        var calendar = s.Week;
        var opening = calendar.NextOpening(at);
        var morningMark = calendar.At(calendar.Local(opening).Date, s.AfterHoursFirstAttemptBy);
        var firstDue = morningMark > opening ? morningMark : opening + s.FirstAttemptTarget;
        return new LoopTimes(opening, firstDue, firstDue + EscalationMargin(s), AfterHours: true);
    }

    private static LoopTimes Deadline(DateTimeOffset start, DateTimeOffset deadline, TimeSpan checkBefore)
    {
        var firstDue = deadline - checkBefore;
        return new LoopTimes(start, firstDue < start ? start : firstDue, deadline < start ? start : deadline, AfterHours: false);
    }

    private static DateTimeOffset NextBusinessDayClose(ShopWeek calendar, DateTimeOffset now)
    {
        var tomorrow = calendar.At(calendar.Local(now).Date.PlusDays(1), LocalTime.Midnight);
        var opening = calendar.NextOpening(tomorrow);
        return calendar.ClosingOn(opening) ?? opening + TimeSpan.FromHours(8);
    }
}
