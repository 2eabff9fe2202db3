using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Options;
using NodaTime;
using NodaTime.Text;
using NodaTime.TimeZones;

namespace RecoveryComms.Hosting.Business;

/// <summary>The shop's zone and opening hours: the <c>Business</c> section.</summary>
public sealed class BusinessOptions
{
    public const string Section = "Business";

    /// <summary>IANA zone of the shop, e.g. <c>America/Chicago</c>.</summary>
    [Required]
    public string TimeZone { get; set; } = "America/Chicago";

    /// <summary>E.164 numbers the shop owns (caller ID for callbacks).</summary>
    public List<string> ShopLines { get; set; } = [];

    /// <summary>Opening hours per day (<c>Monday</c> → <c>08:00-18:00</c>); a day not listed is closed.</summary>
    public Dictionary<string, string> OpenHours { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Monday"] = "08:00-18:00",
        ["Tuesday"] = "08:00-18:00",
        ["Wednesday"] = "08:00-18:00",
        ["Thursday"] = "08:00-18:00",
        ["Friday"] = "08:00-18:00",
        ["Saturday"] = "09:00-13:00",
    };
}

/// <summary>
/// The shop's week in its own time zone, DST included: whether it is open, when it next opens and when a day
/// closes. Instants go in and out; local times stay inside. Immutable: a change of hours or zone is a new week.
/// </summary>
public sealed class ShopWeek
{
    private readonly Dictionary<IsoDayOfWeek, (LocalTime Open, LocalTime Close)> _hours;

    private ShopWeek(DateTimeZone zone, Dictionary<IsoDayOfWeek, (LocalTime Open, LocalTime Close)> hours)
    {
        Zone = zone;
        _hours = hours;
    }

    public DateTimeZone Zone { get; }

    /// <summary>
    /// A week from an IANA zone and <c>day → HH:mm-HH:mm</c> ranges (a day missing or null is closed); throws
    /// <see cref="OptionsValidationException"/> naming what is wrong.
    /// </summary>
    public static ShopWeek Create(string timeZone, IEnumerable<KeyValuePair<string, string?>> openHours)
    {
        ArgumentNullException.ThrowIfNull(openHours);
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone ?? "")
            ?? throw new OptionsValidationException(BusinessOptions.Section, typeof(BusinessOptions), [$"Business:TimeZone '{timeZone}' is not an IANA time zone."]);
        var hours = new Dictionary<IsoDayOfWeek, (LocalTime Open, LocalTime Close)>();
        foreach (var (day, range) in openHours)
        {
            if (!TryParseDay(day, out var isoDay))
            {
                throw new OptionsValidationException(BusinessOptions.Section, typeof(BusinessOptions), [$"Business:OpenHours:{day} is not a day of the week."]);
            }

            if (range is null)
            {
                continue;
            }

            hours[isoDay] = ShopCalendar.TryParseRange(range, out var open, out var close)
                ? (open, close)
                : throw new OptionsValidationException(BusinessOptions.Section, typeof(BusinessOptions),
                    [string.Create(CultureInfo.InvariantCulture, $"Business:OpenHours:{day} must look like 08:00-18:00, not '{range}'.")]);
        }

        return new ShopWeek(zone, hours);
    }

    /// <summary>A day's English name, any case (<c>monday</c>, <c>Monday</c>).</summary>
    public static bool TryParseDay(string? day, out IsoDayOfWeek isoDay)
    {
        isoDay = IsoDayOfWeek.None;
        // Note: a day's name only: Enum.TryParse also reads numbers and comma lists ("Monday,Tuesday" is 1 | 2, a Wednesday).
        var name = day?.Trim();
        return !string.IsNullOrEmpty(name) && name.All(char.IsAsciiLetter)
            && Enum.TryParse(name, ignoreCase: true, out isoDay) && isoDay != IsoDayOfWeek.None && Enum.IsDefined(isoDay);
    }

    public bool IsOpen(DateTimeOffset at)
    {
        var local = Local(at);
        return _hours.TryGetValue(local.DayOfWeek, out var hours) && local.TimeOfDay >= hours.Open && local.TimeOfDay < hours.Close;
    }

    /// <summary>The shop-local date and time of an instant.</summary>
    public ZonedDateTime Local(DateTimeOffset at) => Instant.FromDateTimeOffset(at).InZone(Zone);

    /// <summary><paramref name="at"/> itself when the shop is open then, else the next opening (within two weeks).</summary>
    public DateTimeOffset NextOpening(DateTimeOffset at)
    {
        if (IsOpen(at))
        {
            return at;
        }

        var local = Local(at);
        for (var day = 0; day <= 14; day++)
        {
            var date = local.Date.PlusDays(day);
            if (_hours.TryGetValue(date.DayOfWeek, out var hours))
            {
                var opening = At(date, hours.Open);
                if (opening > at)
                {
                    return opening;
                }
            }
        }

        // A shop configured with no open day at all: the clock simply starts now.
        return at;
    }

    /// <summary>When the shop closes on the local date of <paramref name="at"/>; null on a closed day.</summary>
    public DateTimeOffset? ClosingOn(DateTimeOffset at)
    {
        var date = Local(at).Date;
        return _hours.TryGetValue(date.DayOfWeek, out var hours) ? At(date, hours.Close) : null;
    }

    /// <summary>The next closing time strictly after <paramref name="at"/>; null when the shop never opens.</summary>
    public DateTimeOffset? NextClosing(DateTimeOffset at)
    {
        var date = Local(at).Date;
        for (var day = 0; day <= 14; day++)
        {
            var d = date.PlusDays(day);
            if (_hours.TryGetValue(d.DayOfWeek, out var hours) && At(d, hours.Close) is var close && close > at)
            {
                return close;
            }
        }

        return null;
    }

    /// <summary>A shop-local date and time as an instant; a time skipped by DST moves forward, an ambiguous one takes the earlier.</summary>
    public DateTimeOffset At(LocalDate date, LocalTime time) =>
        Zone.ResolveLocal(date.At(time), Resolvers.LenientResolver).ToDateTimeOffset().ToUniversalTime();
}

/// <summary>
/// The shop's current week (<see cref="ShopWeek"/>), which the console may change while the service runs.
/// </summary>
/// <remarks>
/// Note: a change swaps one immutable <see cref="ShopWeek"/> reference (atomic, no lock), so a reader never sees
/// a new zone with old hours. A computation that asks several questions (opening, then that day's close) takes
/// <see cref="Current"/> once and asks it, so a swap in between cannot mix two weeks.
/// </remarks>
public sealed class ShopCalendar
{
    private volatile ShopWeek _current;

    public ShopCalendar(IOptions<BusinessOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _current = ShopWeek.Create(options.Value.TimeZone, options.Value.OpenHours.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));
    }

    /// <summary>The week in force now.</summary>
    public ShopWeek Current => _current;

    public DateTimeZone Zone => _current.Zone;

    /// <summary>Puts new hours and zone in force at once (a day missing or null is closed).</summary>
    public void Apply(ShopWeek week) => _current = week ?? throw new ArgumentNullException(nameof(week));

    public bool IsOpen(DateTimeOffset at) => _current.IsOpen(at);

    /// <summary>The shop-local date and time of an instant.</summary>
    public ZonedDateTime Local(DateTimeOffset at) => _current.Local(at);

    /// <summary><paramref name="at"/> itself when the shop is open then, else the next opening (within two weeks).</summary>
    public DateTimeOffset NextOpening(DateTimeOffset at) => _current.NextOpening(at);

    /// <summary>When the shop closes on the local date of <paramref name="at"/>; null on a closed day.</summary>
    public DateTimeOffset? ClosingOn(DateTimeOffset at) => _current.ClosingOn(at);

    /// <summary>The next closing time strictly after <paramref name="at"/>; null when the shop never opens.</summary>
    public DateTimeOffset? NextClosing(DateTimeOffset at) => _current.NextClosing(at);

    /// <summary>A shop-local date and time as an instant; a time skipped by DST moves forward, an ambiguous one takes the earlier.</summary>
    public DateTimeOffset At(LocalDate date, LocalTime time) => _current.At(date, time);

    /// <summary>Parses <c>HH:mm</c>.</summary>
    public static bool TryParseTime(string? text, out LocalTime time)
    {
        var result = LocalTimePattern.CreateWithInvariantCulture("HH:mm").Parse(text ?? "");
        time = result.Success ? result.Value : default;
        return result.Success;
    }

    /// <summary>Parses <c>HH:mm-HH:mm</c> with the opening before the close.</summary>
    public static bool TryParseRange(string? range, out LocalTime open, out LocalTime close)
    {
        var parts = (range ?? "").Split('-', StringSplitOptions.TrimEntries);
        open = close = default;
        return parts.Length == 2 && TryParseTime(parts[0], out open) && TryParseTime(parts[1], out close) && open < close;
    }
}
