using RecoveryComms.Orchestrator.Items;
using static RecoveryComms.Rules.Tests.TestShop;

namespace RecoveryComms.Rules.Tests.Items;

/// <summary>
/// When an item's clock starts and its first attempt and SLA fall due, in the shop's hours and zone (America/Chicago:
/// DST starts Sunday 8 March 2026 at 02:00 and ends Sunday 1 November 2026 at 02:00). Every time is written with its
/// offset, so a row shows the shop-local time and which side of a DST change it is on.
/// </summary>
public sealed class LoopClockTests
{
    private static readonly LoopClock Clock = new(NewSettings());

    private static void AssertTimes(LoopTimes actual, string start, string firstDue, string sla, bool afterHours)
    {
        Assert.Equal(At(start), actual.ClockStartsAt);
        Assert.Equal(At(firstDue), actual.FirstAttemptDueAt);
        Assert.Equal(At(sla), actual.SlaDueAt);
        Assert.Equal(afterHours, actual.AfterHours);
    }

    public static TheoryData<string, string, bool, string, string, string, bool> Calls => new()
    {
        // scenario, occurred at, captured after hours, clock starts, first attempt due, SLA due, after hours
        { "open on a weekday", "2026-03-03T10:00-06:00", false, "2026-03-03T10:00-06:00", "2026-03-03T10:05-06:00", "2026-03-03T10:15-06:00", false },
        { "the minute the shop opens", "2026-03-03T08:00-06:00", false, "2026-03-03T08:00-06:00", "2026-03-03T08:05-06:00", "2026-03-03T08:15-06:00", false },
        { "the last minute before closing", "2026-03-03T17:59-06:00", false, "2026-03-03T17:59-06:00", "2026-03-03T18:04-06:00", "2026-03-03T18:14-06:00", false },
        { "at closing time: next morning, due by 08:30", "2026-03-03T18:00-06:00", false, "2026-03-04T08:00-06:00", "2026-03-04T08:30-06:00", "2026-03-04T08:40-06:00", true },
        { "before opening: this morning", "2026-03-03T07:59-06:00", false, "2026-03-03T08:00-06:00", "2026-03-03T08:30-06:00", "2026-03-03T08:40-06:00", true },
        { "after midnight: this morning", "2026-03-03T00:30-06:00", false, "2026-03-03T08:00-06:00", "2026-03-03T08:30-06:00", "2026-03-03T08:40-06:00", true },
        {
            "marked after hours by the webhooks although open: from now, by the target",
            "2026-03-03T10:00-06:00", true, "2026-03-03T10:00-06:00", "2026-03-03T10:05-06:00", "2026-03-03T10:15-06:00", true
        },
        {
            "Friday night: Saturday opens at 09:00, after 08:30, so opening + target",
            "2026-03-06T18:30-06:00", false, "2026-03-07T09:00-06:00", "2026-03-07T09:05-06:00", "2026-03-07T09:15-06:00", true
        },
        { "Saturday morning, open", "2026-03-14T09:30-05:00", false, "2026-03-14T09:30-05:00", "2026-03-14T09:35-05:00", "2026-03-14T09:45-05:00", false },
        { "Saturday after 13:00: Monday", "2026-03-14T13:00-05:00", false, "2026-03-16T08:00-05:00", "2026-03-16T08:30-05:00", "2026-03-16T08:40-05:00", true },
        { "Sunday (closed): Monday", "2026-03-15T12:00-05:00", false, "2026-03-16T08:00-05:00", "2026-03-16T08:30-05:00", "2026-03-16T08:40-05:00", true },
        {
            "Saturday night before spring-forward: Monday 08:00 CDT",
            "2026-03-07T20:00-06:00", false, "2026-03-09T08:00-05:00", "2026-03-09T08:30-05:00", "2026-03-09T08:40-05:00", true
        },
        {
            "during the skipped hour's night: Monday 08:00 CDT",
            "2026-03-08T01:59-06:00", false, "2026-03-09T08:00-05:00", "2026-03-09T08:30-05:00", "2026-03-09T08:40-05:00", true
        },
        {
            "Saturday night before fall-back: Monday 08:00 CST",
            "2026-10-31T20:00-05:00", false, "2026-11-02T08:00-06:00", "2026-11-02T08:30-06:00", "2026-11-02T08:40-06:00", true
        },
        {
            "in the repeated hour (01:30 CST): Monday 08:00 CST",
            "2026-11-01T01:30-06:00", false, "2026-11-02T08:00-06:00", "2026-11-02T08:30-06:00", "2026-11-02T08:40-06:00", true
        },
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public void ForCall_ClocksByTheShopsHoursAndZone(string scenario, string occurredAt, bool capturedAfterHours, string start, string firstDue, string sla, bool afterHours)
    {
        Assert.NotEmpty(scenario);
        AssertTimes(Clock.ForCall(At(occurredAt), capturedAfterHours), start, firstDue, sla, afterHours);
    }

    public static TheoryData<string, string, string, string, string, string, string> SundayHoursAcrossDst => new()
    {
        // scenario, Sunday's hours, first attempt by, occurred at, clock starts, first attempt due, SLA due
        {
            "opening at 02:30 on spring-forward Sunday (skipped): 03:30 CDT; the 02:45 mark (skipped) 03:45 CDT",
            "02:30-06:00", "02:45", "2026-03-08T01:00-06:00", "2026-03-08T03:30-05:00", "2026-03-08T03:45-05:00", "2026-03-08T03:55-05:00"
        },
        {
            "opening at 01:30 on fall-back Sunday (ambiguous): the first 01:30, CDT; the 01:45 mark too",
            "01:30-06:00", "01:45", "2026-11-01T00:30-05:00", "2026-11-01T01:30-05:00", "2026-11-01T01:45-05:00", "2026-11-01T01:55-05:00"
        },
        {
            "opening at 01:30 on fall-back Sunday, the 01:00 mark (CDT) before it: opening + target",
            "01:30-06:00", "01:00", "2026-11-01T00:30-05:00", "2026-11-01T01:30-05:00", "2026-11-01T01:35-05:00", "2026-11-01T01:45-05:00"
        },
    };

    [Theory]
    [MemberData(nameof(SundayHoursAcrossDst))]
    public void ForCall_OpeningOnADstChange_ResolvesTheShopLocalTime(
        string scenario, string sundayHours, string firstAttemptBy, string occurredAt, string start, string firstDue, string sla)
    {
        Assert.NotEmpty(scenario);
        var clock = new LoopClock(NewSettings(r => r.AfterHoursFirstAttemptBy = firstAttemptBy, b => b.OpenHours = Hours(("Sunday", sundayHours), ("Monday", "08:00-18:00"))));

        AssertTimes(clock.ForCall(At(occurredAt), capturedAfterHours: false), start, firstDue, sla, afterHours: true);
    }

    [Theory]
    [InlineData("2026-03-08T01:55-06:00", "2026-03-08T03:00-05:00", "2026-03-08T03:10-05:00")]
    [InlineData("2026-11-01T01:55-05:00", "2026-11-01T01:00-06:00", "2026-11-01T01:10-06:00")]
    public void ForCall_OpenAcrossADstChange_CountsRealMinutesNotWallClock(string occurredAt, string firstDue, string sla)
    {
        var clock = new LoopClock(NewSettings(business: b => b.OpenHours = Hours(("Sunday", "00:00-23:59"))));

        AssertTimes(clock.ForCall(At(occurredAt), capturedAfterHours: false), occurredAt, firstDue, sla, afterHours: false);
    }

    [Fact]
    public void ForCall_ShopOpeningAtTheMorningMark_IsDueByOpeningPlusTheTarget()
    {
        var clock = new LoopClock(NewSettings(business: b => b.OpenHours = Hours(("Tuesday", "08:30-18:00"))));

        AssertTimes(clock.ForCall(At("2026-03-03T07:00-06:00"), false), "2026-03-03T08:30-06:00", "2026-03-03T08:35-06:00", "2026-03-03T08:45-06:00", true);
    }

    [Fact]
    public void ForCall_ShopWithNoOpenDay_StartsNowAndUsesTheTarget()
    {
        var clock = new LoopClock(NewSettings(business: b => b.OpenHours = new()));

        AssertTimes(clock.ForCall(At("2026-03-03T10:00-06:00"), capturedAfterHours: false),
            "2026-03-03T10:00-06:00", "2026-03-03T10:05-06:00", "2026-03-03T10:15-06:00", afterHours: true);
    }

    [Fact]
    public void ForCall_WindowsFromTheSettings_SetTheMarginsAndTheMorningMark()
    {
        var clock = new LoopClock(NewSettings(r =>
        {
            r.FirstAttemptTarget = TimeSpan.FromMinutes(7);
            r.Sla = TimeSpan.FromMinutes(30);
            r.AfterHoursFirstAttemptBy = "09:15";
        }));

        AssertTimes(clock.ForCall(At("2026-03-03T10:00-06:00"), false), "2026-03-03T10:00-06:00", "2026-03-03T10:07-06:00", "2026-03-03T10:30-06:00", false);
        AssertTimes(clock.ForCall(At("2026-03-03T19:00-06:00"), false), "2026-03-04T08:00-06:00", "2026-03-04T09:15-06:00", "2026-03-04T09:38-06:00", true);
    }

    public static TheoryData<string, string, string, string?, string, string, string, bool> Callbacks => new()
    {
        // scenario, type, now, due at, clock starts, first attempt due, SLA due, after hours
        { "emergency in hours: the emergency windows (2 and 5 minutes)", ItemTypes.Emergency, "2026-03-03T10:00-06:00", null, "2026-03-03T10:00-06:00", "2026-03-03T10:02-06:00", "2026-03-03T10:05-06:00", false },
        { "emergency at night: at once on the emergency windows, marked after hours", ItemTypes.Emergency, "2026-03-03T23:00-06:00", null, "2026-03-03T23:00-06:00", "2026-03-03T23:02-06:00", "2026-03-03T23:05-06:00", true },
        { "after-hours request while open: at once", ItemTypes.AfterHoursRequest, "2026-03-03T10:00-06:00", null, "2026-03-03T10:00-06:00", "2026-03-03T10:05-06:00", "2026-03-03T10:15-06:00", false },
        { "after-hours request at night: next morning by 08:30", ItemTypes.AfterHoursRequest, "2026-03-03T23:00-06:00", null, "2026-03-04T08:00-06:00", "2026-03-04T08:30-06:00", "2026-03-04T08:40-06:00", true },
        { "after-hours request on spring-forward Sunday: Monday CDT", ItemTypes.AfterHoursRequest, "2026-03-08T10:00-05:00", null, "2026-03-09T08:00-05:00", "2026-03-09T08:30-05:00", "2026-03-09T08:40-05:00", true },
        { "promised update: checked 30 min before", ItemTypes.PromisedUpdate, "2026-03-03T10:00-06:00", "2026-03-03T15:00-06:00", "2026-03-03T10:00-06:00", "2026-03-03T14:30-06:00", "2026-03-03T15:00-06:00", false },
        { "promised update due in 10 min: checked now", ItemTypes.PromisedUpdate, "2026-03-03T10:00-06:00", "2026-03-03T10:10-06:00", "2026-03-03T10:00-06:00", "2026-03-03T10:00-06:00", "2026-03-03T10:10-06:00", false },
        { "promised update due in the past: everything now", ItemTypes.PromisedUpdate, "2026-03-03T10:00-06:00", "2026-03-03T09:00-06:00", "2026-03-03T10:00-06:00", "2026-03-03T10:00-06:00", "2026-03-03T10:00-06:00", false },
        { "promised update without a time: the SLA", ItemTypes.PromisedUpdate, "2026-03-03T10:00-06:00", null, "2026-03-03T10:00-06:00", "2026-03-03T10:00-06:00", "2026-03-03T10:15-06:00", false },
        { "promised update at night: its own time, never after hours", ItemTypes.PromisedUpdate, "2026-03-03T23:00-06:00", "2026-03-04T02:00-06:00", "2026-03-03T23:00-06:00", "2026-03-04T01:30-06:00", "2026-03-04T02:00-06:00", false },
        { "post-job with its time: 20 and 24 hours on", ItemTypes.PostJob, "2026-03-03T10:00-06:00", "2026-03-05T09:00-06:00", "2026-03-05T09:00-06:00", "2026-03-06T05:00-06:00", "2026-03-06T09:00-06:00", false },
        { "post-job without a time: from tomorrow", ItemTypes.PostJob, "2026-03-03T10:00-06:00", null, "2026-03-04T10:00-06:00", "2026-03-05T06:00-06:00", "2026-03-05T10:00-06:00", false },
        { "post-job across spring-forward: real hours", ItemTypes.PostJob, "2026-03-07T10:00-06:00", null, "2026-03-08T11:00-05:00", "2026-03-09T07:00-05:00", "2026-03-09T11:00-05:00", false },
        { "warranty on Tuesday: Wednesday's close", ItemTypes.Warranty, "2026-03-03T10:00-06:00", null, "2026-03-03T10:00-06:00", "2026-03-04T17:50-06:00", "2026-03-04T18:00-06:00", false },
        { "estimate on Friday: Saturday's close", ItemTypes.Estimate, "2026-03-06T10:00-06:00", null, "2026-03-06T10:00-06:00", "2026-03-07T12:50-06:00", "2026-03-07T13:00-06:00", false },
        { "estimate on Friday night: still Saturday's close", ItemTypes.Estimate, "2026-03-06T23:30-06:00", null, "2026-03-06T23:30-06:00", "2026-03-07T12:50-06:00", "2026-03-07T13:00-06:00", false },
        { "estimate on Saturday: Monday's close, across spring-forward", ItemTypes.Estimate, "2026-03-07T10:00-06:00", null, "2026-03-07T10:00-06:00", "2026-03-09T17:50-05:00", "2026-03-09T18:00-05:00", false },
        { "estimate on fall-back Saturday: Monday's close CST", ItemTypes.Estimate, "2026-10-31T10:00-05:00", null, "2026-10-31T10:00-05:00", "2026-11-02T17:50-06:00", "2026-11-02T18:00-06:00", false },
        { "warranty with its own deadline", ItemTypes.Warranty, "2026-03-03T10:00-06:00", "2026-03-10T12:00-05:00", "2026-03-03T10:00-06:00", "2026-03-10T11:50-05:00", "2026-03-10T12:00-05:00", false },
    };

    [Theory]
    [MemberData(nameof(Callbacks))]
    public void ForCallback_ClocksEachTypeByItsRule(string scenario, string type, string now, string? dueAt, string start, string firstDue, string sla, bool afterHours)
    {
        Assert.NotEmpty(scenario);
        AssertTimes(Clock.ForCallback(type, At(now), dueAt is null ? null : At(dueAt)), start, firstDue, sla, afterHours);
    }

    [Fact]
    public void ForCallback_EstimateAtAShopWithNoOpenDay_IsDueTomorrowAt0800()
    {
        var clock = new LoopClock(NewSettings(business: b => b.OpenHours = new()));

        AssertTimes(clock.ForCallback(ItemTypes.Estimate, At("2026-03-03T10:00-06:00"), null),
            "2026-03-03T10:00-06:00", "2026-03-04T07:50-06:00", "2026-03-04T08:00-06:00", afterHours: false);
    }

    [Fact]
    public void ForCall_AfterTheSettingsChange_UsesTheNewWindowsAndHours()
    {
        var settings = NewSettings();
        var clock = new LoopClock(settings);
        var saved = settings.Current.ToDocument() with
        {
            FirstAttemptTarget = "00:10:00",
            Sla = "00:20:00",
            OpenHours = new Dictionary<string, string?> { ["tuesday"] = "12:00-14:00" },
        };

        Assert.True(settings.Apply(1, saved, "manager", At("2026-03-01T00:00Z")));

        AssertTimes(clock.ForCall(At("2026-03-03T12:30-06:00"), false), "2026-03-03T12:30-06:00", "2026-03-03T12:40-06:00", "2026-03-03T12:50-06:00", false);
        AssertTimes(clock.ForCall(At("2026-03-03T10:00-06:00"), false), "2026-03-03T12:00-06:00", "2026-03-03T12:10-06:00", "2026-03-03T12:20-06:00", true);
    }

    [Fact]
    public async Task SettingsLoadedAsync_WaitsUntilTheSavedRowWasRead()
    {
        var settings = NewSettings();
        var clock = new LoopClock(settings);

        var waiting = clock.SettingsLoadedAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        settings.MarkLoaded();

        await waiting.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task SettingsLoadedAsync_Cancelled_StopsWaiting()
    {
        using var cancel = new CancellationTokenSource();
        var waiting = new LoopClock(NewSettings()).SettingsLoadedAsync(cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public void ForCall_AnotherZone_TakesTheMorningMarkInThatZone()
    {
        var clock = new LoopClock(NewSettings(business: b => b.TimeZone = "Europe/Berlin"));

        AssertTimes(clock.ForCall(At("2026-03-03T19:00+01:00"), false), "2026-03-04T08:00+01:00", "2026-03-04T08:30+01:00", "2026-03-04T08:40+01:00", true);
    }
}
