using Microsoft.Extensions.Options;
using NodaTime;
using RecoveryComms.Hosting.Business;
using static RecoveryComms.Rules.Tests.TestShop;

namespace RecoveryComms.Rules.Tests.Business;

/// <summary>
/// The shop's week in its zone: the configuration defaults (America/Chicago, Monday to Friday 08:00-18:00, Saturday
/// 09:00-13:00, Sunday closed), parsing, and the questions the loop asks, across both DST changes of 2026.
/// </summary>
public sealed class ShopCalendarTests
{
    private static readonly ShopCalendar Calendar = new(Options.Create(new BusinessOptions()));

    private static ShopWeek Week(params (string Day, string? Range)[] days) =>
        ShopWeek.Create("America/Chicago", days.Select(d => KeyValuePair.Create(d.Day, d.Range)));

    [Theory]
    [InlineData("2026-03-03T07:59-06:00", false)]
    [InlineData("2026-03-03T08:00-06:00", true)]
    [InlineData("2026-03-03T12:00-06:00", true)]
    [InlineData("2026-03-03T17:59-06:00", true)]
    [InlineData("2026-03-03T18:00-06:00", false)]
    [InlineData("2026-03-03T23:59-06:00", false)]
    [InlineData("2026-03-07T08:59-06:00", false)]
    [InlineData("2026-03-07T09:00-06:00", true)]
    [InlineData("2026-03-07T12:59-06:00", true)]
    [InlineData("2026-03-07T13:00-06:00", false)]
    [InlineData("2026-03-08T12:00-05:00", false)]
    [InlineData("2026-03-09T08:00-05:00", true)]
    [InlineData("2026-03-09T07:59-05:00", false)]
    [InlineData("2026-11-02T08:00-06:00", true)]
    [InlineData("2026-11-02T07:59-06:00", false)]
    public void IsOpen_ReadsTheShopsLocalClock(string at, bool open) => Assert.Equal(open, Calendar.IsOpen(At(at)));

    [Fact]
    public void IsOpen_SameInstantInAnotherZone_FollowsThatZone()
    {
        var berlin = new ShopCalendar(Options.Create(new BusinessOptions { TimeZone = "Europe/Berlin" }));

        // 08:30 in Berlin is 01:30 in Chicago.
        Assert.True(berlin.IsOpen(At("2026-03-03T08:30+01:00")));
        Assert.False(Calendar.IsOpen(At("2026-03-03T08:30+01:00")));
        Assert.Equal("Europe/Berlin", berlin.Zone.Id);
        Assert.Equal("America/Chicago", Calendar.Zone.Id);
    }

    public static TheoryData<string, string, string> Openings => new()
    {
        // scenario, at, next opening
        { "open now: itself", "2026-03-03T10:00-06:00", "2026-03-03T10:00-06:00" },
        { "at opening: itself", "2026-03-03T08:00-06:00", "2026-03-03T08:00-06:00" },
        { "before opening: this morning", "2026-03-03T06:00-06:00", "2026-03-03T08:00-06:00" },
        { "after closing: tomorrow", "2026-03-03T18:00-06:00", "2026-03-04T08:00-06:00" },
        { "Friday evening: Saturday 09:00", "2026-03-06T19:00-06:00", "2026-03-07T09:00-06:00" },
        { "Saturday afternoon: Monday, across spring-forward", "2026-03-07T13:00-06:00", "2026-03-09T08:00-05:00" },
        { "Sunday of spring-forward", "2026-03-08T03:30-05:00", "2026-03-09T08:00-05:00" },
        { "Saturday afternoon: Monday, across fall-back", "2026-10-31T14:00-05:00", "2026-11-02T08:00-06:00" },
        { "in the repeated hour", "2026-11-01T01:30-06:00", "2026-11-02T08:00-06:00" },
    };

    [Theory]
    [MemberData(nameof(Openings))]
    public void NextOpening_IsTheFirstOpeningAtOrAfter(string scenario, string at, string opening)
    {
        Assert.NotEmpty(scenario);
        Assert.Equal(At(opening), Calendar.NextOpening(At(at)));
    }

    [Fact]
    public void NextOpening_OnlyOneDayAWeek_FindsItAWeekOn()
    {
        var week = Week(("Tuesday", "08:00-09:00"));

        Assert.Equal(At("2026-03-10T08:00-05:00"), week.NextOpening(At("2026-03-03T09:00-06:00")));
        Assert.Equal(At("2026-03-03T08:00-06:00"), week.NextOpening(At("2026-02-24T09:00-06:00")));
    }

    [Fact]
    public void NextOpening_NeverOpen_IsNow()
    {
        var week = Week();

        Assert.Equal(At("2026-03-03T10:00-06:00"), week.NextOpening(At("2026-03-03T10:00-06:00")));
        Assert.False(week.IsOpen(At("2026-03-03T10:00-06:00")));
    }

    [Theory]
    [InlineData("2026-03-03T00:00-06:00", "2026-03-03T18:00-06:00")]
    [InlineData("2026-03-03T23:59-06:00", "2026-03-03T18:00-06:00")]
    [InlineData("2026-03-07T20:00-06:00", "2026-03-07T13:00-06:00")]
    [InlineData("2026-03-09T01:00-05:00", "2026-03-09T18:00-05:00")]
    [InlineData("2026-03-08T12:00-05:00", null)]
    public void ClosingOn_IsThatLocalDaysClose(string at, string? close) =>
        Assert.Equal(close is null ? null : At(close), Calendar.ClosingOn(At(at)));

    [Fact]
    public void ClosingOn_TheLocalDateDecides_NotTheUtcDate()
    {
        // Tuesday 20:00 in Chicago is already Wednesday in UTC.
        Assert.Equal(At("2026-03-03T18:00-06:00"), Calendar.ClosingOn(At("2026-03-04T02:00Z")));
    }

    [Theory]
    [InlineData("2026-03-03T10:00-06:00", "2026-03-03T18:00-06:00")]
    [InlineData("2026-03-03T17:59-06:00", "2026-03-03T18:00-06:00")]
    [InlineData("2026-03-03T18:00-06:00", "2026-03-04T18:00-06:00")]
    [InlineData("2026-03-07T13:00-06:00", "2026-03-09T18:00-05:00")]
    [InlineData("2026-03-08T12:00-05:00", "2026-03-09T18:00-05:00")]
    [InlineData("2026-10-31T20:00-05:00", "2026-11-02T18:00-06:00")]
    public void NextClosing_IsStrictlyAfter(string at, string close) => Assert.Equal(At(close), Calendar.NextClosing(At(at)));

    [Fact]
    public void NextClosing_OneDayAWeek_FindsItAWeekOn()
    {
        var week = Week(("Tuesday", "08:00-09:00"));

        Assert.Equal(At("2026-03-10T09:00-05:00"), week.NextClosing(At("2026-03-03T09:00-06:00")));
    }

    [Fact]
    public void NextClosing_NeverOpen_IsNull() => Assert.Null(Week(("Monday", null)).NextClosing(At("2026-03-03T10:00-06:00")));

    public static TheoryData<string, int, int, int, int, int, string> LocalTimes => new()
    {
        // scenario, year, month, day, hour, minute, instant
        { "plain winter time", 2026, 3, 3, 8, 0, "2026-03-03T14:00Z" },
        { "plain summer time", 2026, 7, 1, 8, 0, "2026-07-01T13:00Z" },
        { "skipped 02:30 moves forward to 03:30 CDT", 2026, 3, 8, 2, 30, "2026-03-08T08:30Z" },
        { "02:00 on spring-forward is 03:00 CDT", 2026, 3, 8, 2, 0, "2026-03-08T08:00Z" },
        { "03:00 on spring-forward is CDT", 2026, 3, 8, 3, 0, "2026-03-08T08:00Z" },
        { "ambiguous 01:30 takes the earlier, CDT", 2026, 11, 1, 1, 30, "2026-11-01T06:30Z" },
        { "02:00 on fall-back is CST", 2026, 11, 1, 2, 0, "2026-11-01T08:00Z" },
    };

    [Theory]
    [MemberData(nameof(LocalTimes))]
    public void At_ResolvesShopLocalTimeToUtc(string scenario, int year, int month, int day, int hour, int minute, string instant)
    {
        Assert.NotEmpty(scenario);
        var at = Calendar.At(new LocalDate(year, month, day), new LocalTime(hour, minute));

        Assert.Equal(At(instant), at);
        Assert.Equal(TimeSpan.Zero, at.Offset);
    }

    [Fact]
    public void Local_IsTheShopsDateAndTime()
    {
        var local = Calendar.Local(At("2026-03-04T02:00Z"));

        Assert.Equal(new LocalDateTime(2026, 3, 3, 20, 0), local.LocalDateTime);
        Assert.Equal(IsoDayOfWeek.Tuesday, local.DayOfWeek);
        Assert.Equal(Offset.FromHours(-6), local.Offset);
    }

    [Theory]
    [InlineData("monday", true, IsoDayOfWeek.Monday)]
    [InlineData("Sunday", true, IsoDayOfWeek.Sunday)]
    [InlineData("SATURDAY", true, IsoDayOfWeek.Saturday)]
    [InlineData(" friday ", true, IsoDayOfWeek.Friday)]
    [InlineData("funday", false, IsoDayOfWeek.None)]
    [InlineData("None", false, IsoDayOfWeek.None)]
    [InlineData("1", false, IsoDayOfWeek.None)]
    [InlineData("8", false, IsoDayOfWeek.None)]
    [InlineData("", false, IsoDayOfWeek.None)]
    [InlineData(null, false, IsoDayOfWeek.None)]
    public void TryParseDay_EnglishNamesInAnyCase(string? day, bool parsed, IsoDayOfWeek expected)
    {
        Assert.Equal(parsed, ShopWeek.TryParseDay(day, out var isoDay));
        if (parsed)
        {
            Assert.Equal(expected, isoDay);
        }
    }

    /// <summary>Note: failed before the fix (a comma list of days parsed as one other day: "Monday,Tuesday" as Wednesday).</summary>
    [Theory]
    [InlineData("Monday,Tuesday")]
    [InlineData("saturday, sunday")]
    public void TryParseDay_ACommaListOfDays_IsRefused(string day)
    {
        Assert.False(ShopWeek.TryParseDay(day, out _));
        Assert.Throws<OptionsValidationException>(() => ShopWeek.Create("America/Chicago", [KeyValuePair.Create(day, (string?)"08:00-18:00")]));
    }

    [Theory]
    [InlineData("08:00", true, 8, 0)]
    [InlineData("00:00", true, 0, 0)]
    [InlineData("23:59", true, 23, 59)]
    [InlineData("8:00", false, 0, 0)]
    [InlineData("24:00", false, 0, 0)]
    [InlineData("08:60", false, 0, 0)]
    [InlineData("08:00:00", false, 0, 0)]
    [InlineData("0800", false, 0, 0)]
    [InlineData("", false, 0, 0)]
    [InlineData(null, false, 0, 0)]
    public void TryParseTime_TakesOnlyHHmm(string? text, bool parsed, int hour, int minute)
    {
        Assert.Equal(parsed, ShopCalendar.TryParseTime(text, out var time));
        Assert.Equal(parsed ? new LocalTime(hour, minute) : default, time);
    }

    [Theory]
    [InlineData("08:00-18:00", true, "08:00", "18:00")]
    [InlineData(" 08:00 - 18:00 ", true, "08:00", "18:00")]
    [InlineData("00:00-23:59", true, "00:00", "23:59")]
    [InlineData("08:00-08:01", true, "08:00", "08:01")]
    [InlineData("08:00-08:00", false, null, null)]
    [InlineData("18:00-08:00", false, null, null)]
    [InlineData("08:00", false, null, null)]
    [InlineData("08:00-12:00-18:00", false, null, null)]
    [InlineData("8:00-18:00", false, null, null)]
    [InlineData("08:00-1800", false, null, null)]
    [InlineData("", false, null, null)]
    [InlineData(null, false, null, null)]
    public void TryParseRange_OpeningBeforeClosing(string? range, bool parsed, string? open, string? close)
    {
        Assert.Equal(parsed, ShopCalendar.TryParseRange(range, out var o, out var c));
        if (parsed)
        {
            Assert.Equal((Time(open), Time(close)), (o, c));
        }
    }

    private static LocalTime Time(string? text) => NodaTime.Text.LocalTimePattern.CreateWithInvariantCulture("HH:mm").Parse(text!).Value;

    [Fact]
    public void Create_ADayWithNullHours_IsClosed()
    {
        var week = Week(("Tuesday", null), ("Wednesday", "08:00-18:00"));

        Assert.False(week.IsOpen(At("2026-03-03T10:00-06:00")));
        Assert.True(week.IsOpen(At("2026-03-04T10:00-06:00")));
        Assert.Equal("America/Chicago", week.Zone.Id);
    }

    public static TheoryData<string, string, string?, string> InvalidWeeks => new()
    {
        // zone, day, range, the message
        { "Mars/Olympus", "Monday", "08:00-18:00", "Business:TimeZone 'Mars/Olympus' is not an IANA time zone." },
        { "", "Monday", "08:00-18:00", "Business:TimeZone '' is not an IANA time zone." },
        { "America/Chicago", "Funday", "08:00-18:00", "Business:OpenHours:Funday is not a day of the week." },
        { "America/Chicago", "Funday", null, "Business:OpenHours:Funday is not a day of the week." },
        { "America/Chicago", "Monday", "18:00-08:00", "Business:OpenHours:Monday must look like 08:00-18:00, not '18:00-08:00'." },
        { "America/Chicago", "Monday", "all day", "Business:OpenHours:Monday must look like 08:00-18:00, not 'all day'." },
    };

    [Theory]
    [MemberData(nameof(InvalidWeeks))]
    public void Create_Invalid_ThrowsOptionsValidationNamingTheKey(string zone, string day, string? range, string message)
    {
        var error = Assert.Throws<OptionsValidationException>(() => ShopWeek.Create(zone, [KeyValuePair.Create(day, range)]));

        Assert.Equal([message], error.Failures);
        Assert.Equal(BusinessOptions.Section, error.OptionsName);
        Assert.Equal(typeof(BusinessOptions), error.OptionsType);
    }

    [Fact]
    public void Create_NullZone_IsRefusedAsNotAZone()
    {
        var error = Assert.Throws<OptionsValidationException>(() => ShopWeek.Create(null!, []));

        Assert.Equal(["Business:TimeZone '' is not an IANA time zone."], error.Failures);
    }

    [Fact]
    public void Create_NullHours_Throws() => Assert.Throws<ArgumentNullException>(() => ShopWeek.Create("America/Chicago", null!));

    [Fact]
    public void Constructor_ReadsTheBusinessOptions()
    {
        var calendar = new ShopCalendar(Options.Create(new BusinessOptions
        {
            TimeZone = "America/New_York",
            OpenHours = Hours(("sunday", "10:00-11:00")),
        }));

        Assert.Equal("America/New_York", calendar.Current.Zone.Id);
        Assert.True(calendar.IsOpen(At("2026-03-08T10:30-04:00")));
        Assert.False(calendar.IsOpen(At("2026-03-09T10:30-04:00")));
    }

    [Fact]
    public void Constructor_NullOptions_Throws() => Assert.Throws<ArgumentNullException>(() => new ShopCalendar(null!));

    [Fact]
    public void Apply_PutsTheNewWeekInForceAtOnce()
    {
        var calendar = new ShopCalendar(Options.Create(new BusinessOptions()));
        var sundays = ShopWeek.Create("Europe/Berlin", [KeyValuePair.Create("sunday", (string?)"10:00-12:00")]);

        calendar.Apply(sundays);

        Assert.Same(sundays, calendar.Current);
        Assert.Equal("Europe/Berlin", calendar.Zone.Id);
        Assert.True(calendar.IsOpen(At("2026-03-08T11:00+01:00")));
        Assert.False(calendar.IsOpen(At("2026-03-09T11:00+01:00")));
        Assert.Equal(At("2026-03-15T10:00+01:00"), calendar.NextOpening(At("2026-03-08T12:00+01:00")));
        Assert.Equal(At("2026-03-08T12:00+01:00"), calendar.ClosingOn(At("2026-03-08T09:00+01:00")));
        Assert.Equal(At("2026-03-08T12:00+01:00"), calendar.NextClosing(At("2026-03-08T09:00+01:00")));
        Assert.Equal(At("2026-03-08T10:00+01:00"), calendar.At(new LocalDate(2026, 3, 8), new LocalTime(10, 0)));
        Assert.Equal(new LocalDateTime(2026, 3, 8, 11, 0), calendar.Local(At("2026-03-08T11:00+01:00")).LocalDateTime);
    }

    [Fact]
    public void Apply_Null_ThrowsAndKeepsTheWeek()
    {
        var calendar = new ShopCalendar(Options.Create(new BusinessOptions()));
        var before = calendar.Current;

        Assert.Throws<ArgumentNullException>(() => calendar.Apply(null!));

        Assert.Same(before, calendar.Current);
    }

    [Fact]
    public void BusinessOptions_Defaults_AreChicagoWeekdaysAndSaturdayMorning()
    {
        var options = new BusinessOptions();

        Assert.Equal("Business", BusinessOptions.Section);
        Assert.Equal("America/Chicago", options.TimeZone);
        Assert.Empty(options.ShopLines);
        Assert.Equal(
            Hours(("Monday", "08:00-18:00"), ("Tuesday", "08:00-18:00"), ("Wednesday", "08:00-18:00"), ("Thursday", "08:00-18:00"),
                ("Friday", "08:00-18:00"), ("Saturday", "09:00-13:00")),
            options.OpenHours);
        Assert.Equal("08:00-18:00", options.OpenHours["MONDAY"]);
    }
}
