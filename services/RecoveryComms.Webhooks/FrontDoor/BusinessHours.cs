using System.Globalization;
using Microsoft.Extensions.Options;
using NodaTime;
using NodaTime.Text;

namespace RecoveryComms.Webhooks.FrontDoor;

/// <summary>Whether the shop is open at an instant, in the shop's own time zone (DST included).</summary>
public sealed class BusinessHours
{
    private readonly DateTimeZone _zone;
    private readonly Dictionary<IsoDayOfWeek, (LocalTime Open, LocalTime Close)> _hours = [];

    public BusinessHours(IOptions<BusinessOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(options.Value.TimeZone)
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

    public bool IsOpen(DateTimeOffset at)
    {
        var local = Instant.FromDateTimeOffset(at).InZone(_zone);
        return _hours.TryGetValue(local.DayOfWeek, out var hours) && local.TimeOfDay >= hours.Open && local.TimeOfDay < hours.Close;
    }

    private static (LocalTime, LocalTime) ParseRange(string day, string range)
    {
        var parts = range.Split('-', StringSplitOptions.TrimEntries);
        var pattern = LocalTimePattern.CreateWithInvariantCulture("HH:mm");
        if (parts.Length == 2 && pattern.Parse(parts[0]) is { Success: true } open && pattern.Parse(parts[1]) is { Success: true } close
            && open.Value < close.Value)
        {
            return (open.Value, close.Value);
        }

        throw new OptionsValidationException(BusinessOptions.Section, typeof(BusinessOptions),
            [string.Create(CultureInfo.InvariantCulture, $"Business:OpenHours:{day} must look like 08:00-18:00, not '{range}'.")]);
    }
}
