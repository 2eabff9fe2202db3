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
/// closes. Instants go in and out; local times stay inside.
/// </summary>
public sealed class ShopCalendar
{
    private readonly Dictionary<IsoDayOfWeek, (LocalTime Open, LocalTime Close)> _hours = [];

    public ShopCalendar(IOptions<BusinessOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(options.Value.TimeZone)
            ?? throw new OptionsValidationException(BusinessOptions.Section, typeof(BusinessOptions), [$"Business:TimeZone '{options.Value.TimeZone}' is not an IANA time zone."]);
        foreach (var (day, range) in options.Value.OpenHours)
        {
            if (!Enum.TryParse<IsoDayOfWeek>(day, ignoreCase: true, out var isoDay) || isoDay == IsoDayOfWeek.None)
            {
                throw new OptionsValidationException(BusinessOptions.Section, typeof(BusinessOptions), [$"Business:OpenHours:{day} is not a day of the week."]);
            }

            _hours[isoDay] = ParseRange(day, range);
        }
    }

    public DateTimeZone Zone { get; }

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

    /// <summary>Parses <c>HH:mm</c>.</summary>
    public static bool TryParseTime(string? text, out LocalTime time)
    {
        var result = LocalTimePattern.CreateWithInvariantCulture("HH:mm").Parse(text ?? "");
        time = result.Success ? result.Value : default;
        return result.Success;
    }

    private static (LocalTime, LocalTime) ParseRange(string day, string range)
    {
        var parts = range.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && TryParseTime(parts[0], out var open) && TryParseTime(parts[1], out var close) && open < close)
        {
            return (open, close);
        }

        throw new OptionsValidationException(BusinessOptions.Section, typeof(BusinessOptions),
            [string.Create(CultureInfo.InvariantCulture, $"Business:OpenHours:{day} must look like 08:00-18:00, not '{range}'.")]);
    }
}
