using Microsoft.Extensions.Options;
using NodaTime;
using RecoveryComms.Hosting.Business;

namespace RecoveryComms.Orchestrator.Queue;

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
public sealed class LoopClock(ShopCalendar calendar, IOptions<RecoveryOptions> options)
{
    private RecoveryOptions Options => options.Value;

    private TimeSpan EscalationMargin => Options.Sla - Options.FirstAttemptTarget;

    public LoopTimes ForCall(DateTimeOffset occurredAt, bool capturedAfterHours) =>
        capturedAfterHours || !calendar.IsOpen(occurredAt) ? AfterHours(occurredAt) : Immediate(occurredAt);

    public LoopTimes ForCallback(string type, DateTimeOffset now, DateTimeOffset? dueAt) => type switch
    {
        ItemTypes.Emergency => Immediate(now),
        ItemTypes.AfterHoursRequest => calendar.IsOpen(now) ? Immediate(now) : AfterHours(now),
        ItemTypes.PromisedUpdate => Deadline(now, dueAt ?? now + Options.Sla, Options.PromisedCheckBefore),
        ItemTypes.PostJob => Deadline(dueAt ?? now + TimeSpan.FromHours(24), (dueAt ?? now + TimeSpan.FromHours(24)) + TimeSpan.FromHours(24), TimeSpan.FromHours(4)),
        _ => Deadline(now, dueAt ?? NextBusinessDayClose(now), EscalationMargin),
    };

    private LoopTimes Immediate(DateTimeOffset at) => new(at, at + Options.FirstAttemptTarget, at + Options.Sla, AfterHours: !calendar.IsOpen(at));

    private LoopTimes AfterHours(DateTimeOffset at)
    {
        var opening = calendar.NextOpening(at);
        if (!ShopCalendar.TryParseTime(Options.AfterHoursFirstAttemptBy, out var by))
        {
            by = new LocalTime(8, 30);
        }
        var morningMark = calendar.At(calendar.Local(opening).Date, by);
        var firstDue = morningMark > opening ? morningMark : opening + Options.FirstAttemptTarget;
        return new LoopTimes(opening, firstDue, firstDue + EscalationMargin, AfterHours: true);
    }

    private static LoopTimes Deadline(DateTimeOffset start, DateTimeOffset deadline, TimeSpan checkBefore)
    {
        var firstDue = deadline - checkBefore;
        return new LoopTimes(start, firstDue < start ? start : firstDue, deadline < start ? start : deadline, AfterHours: false);
    }

    private DateTimeOffset NextBusinessDayClose(DateTimeOffset now)
    {
        var tomorrow = calendar.At(calendar.Local(now).Date.PlusDays(1), LocalTime.Midnight);
        var opening = calendar.NextOpening(tomorrow);
        return calendar.ClosingOn(opening) ?? opening + TimeSpan.FromHours(8);
    }
}
