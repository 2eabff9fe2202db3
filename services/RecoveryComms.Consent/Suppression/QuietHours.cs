using Dapper;
using NodaTime;
using Npgsql;
using PhoneNumbers;

namespace RecoveryComms.Consent.Suppression;

public sealed record QuietWindow(string Region, TimeOnly OpensAt, TimeOnly ClosesAt);

/// <summary>
/// Whether a recipient may be texted at an instant, in the recipient's local time: the zones come from the number
/// (libphonenumber's time-zone mapper) unless the account overrides them; when a number maps to several zones,
/// every one must be inside the window (the most restrictive wins). The window is the stricter of the default
/// and the recipient's state row in <c>consent.quiet_hours</c>.
/// </summary>
public sealed class QuietHours(NpgsqlDataSource dataSource, TimeProvider time, IConfiguration configuration)
{
    private static readonly PhoneNumberToTimeZonesMapper Zones = PhoneNumberToTimeZonesMapper.GetInstance();
    private static readonly PhoneNumberOfflineGeocoder Geocoder = PhoneNumberOfflineGeocoder.GetInstance();
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private readonly string _shopZone = configuration["Business:TimeZone"] ?? "America/Chicago";
    private (DateTimeOffset LoadedAt, Dictionary<string, QuietWindow> Windows)? _cache;

    /// <summary>The zones that decide for this number.</summary>
    public IReadOnlyList<string> ZonesFor(PhoneNumber number, string? accountZone)
    {
        if (accountZone is not null && DateTimeZoneProviders.Tzdb.GetZoneOrNull(accountZone) is not null)
        {
            return [accountZone];
        }

        var zones = Zones.GetTimeZonesForNumber(number)
            .Where(zone => DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) is not null)
            .ToList();
        return zones.Count > 0 ? zones : [_shopZone];
    }

    /// <summary>"US-FL" for a Florida number, from the offline geocoder; null when unknown.</summary>
    public static string? RegionOf(PhoneNumber number)
    {
        ArgumentNullException.ThrowIfNull(number);
        if (number.CountryCode != 1)
        {
            return null;
        }

        var description = Geocoder.GetDescriptionForNumber(number, Locale.English);
        var comma = description.LastIndexOf(", ", StringComparison.Ordinal);
        if (comma >= 0 && description.Length - comma == 4)
        {
            return "US-" + description[(comma + 2)..];
        }

        return UsStates.Abbreviation(description) is { } state ? "US-" + state : null;
    }

    public async Task<bool> IsWithinAsync(PhoneNumber number, string? accountZone, DateTimeOffset at, CancellationToken ct)
    {
        var windows = await WindowsAsync(ct);
        var window = windows["default"];
        if (RegionOf(number) is { } region && windows.TryGetValue(region, out var stricter))
        {
            window = new QuietWindow(region, Max(window.OpensAt, stricter.OpensAt), Min(window.ClosesAt, stricter.ClosesAt));
        }

        var instant = Instant.FromDateTimeOffset(at);
        return ZonesFor(number, accountZone).All(zoneId =>
        {
            var local = instant.InZone(DateTimeZoneProviders.Tzdb[zoneId]).TimeOfDay.ToTimeOnly();
            return local >= window.OpensAt && local < window.ClosesAt;
        });
    }

    private async Task<Dictionary<string, QuietWindow>> WindowsAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_cache is { } cache && now - cache.LoadedAt < CacheFor)
        {
            return cache.Windows;
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<QuietWindow>(new CommandDefinition(
            "SELECT region, opens_at AS OpensAt, closes_at AS ClosesAt FROM consent.quiet_hours", cancellationToken: ct));
        var windows = rows.ToDictionary(w => w.Region, StringComparer.OrdinalIgnoreCase);
        if (!windows.ContainsKey("default"))
        {
            windows["default"] = new QuietWindow("default", new TimeOnly(8, 0), new TimeOnly(21, 0));
        }

        _cache = (now, windows);
        return windows;
    }

    private static TimeOnly Max(TimeOnly a, TimeOnly b) => a > b ? a : b;

    private static TimeOnly Min(TimeOnly a, TimeOnly b) => a < b ? a : b;
}

internal static class UsStates
{
    private static readonly Dictionary<string, string> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Alabama"] = "AL", ["Alaska"] = "AK", ["Arizona"] = "AZ", ["Arkansas"] = "AR", ["California"] = "CA", ["Colorado"] = "CO",
        ["Connecticut"] = "CT", ["Delaware"] = "DE", ["Florida"] = "FL", ["Georgia"] = "GA", ["Hawaii"] = "HI", ["Idaho"] = "ID",
        ["Illinois"] = "IL", ["Indiana"] = "IN", ["Iowa"] = "IA", ["Kansas"] = "KS", ["Kentucky"] = "KY", ["Louisiana"] = "LA",
        ["Maine"] = "ME", ["Maryland"] = "MD", ["Massachusetts"] = "MA", ["Michigan"] = "MI", ["Minnesota"] = "MN", ["Mississippi"] = "MS",
        ["Missouri"] = "MO", ["Montana"] = "MT", ["Nebraska"] = "NE", ["Nevada"] = "NV", ["New Hampshire"] = "NH", ["New Jersey"] = "NJ",
        ["New Mexico"] = "NM", ["New York"] = "NY", ["North Carolina"] = "NC", ["North Dakota"] = "ND", ["Ohio"] = "OH", ["Oklahoma"] = "OK",
        ["Oregon"] = "OR", ["Pennsylvania"] = "PA", ["Rhode Island"] = "RI", ["South Carolina"] = "SC", ["South Dakota"] = "SD",
        ["Tennessee"] = "TN", ["Texas"] = "TX", ["Utah"] = "UT", ["Vermont"] = "VT", ["Virginia"] = "VA", ["Washington"] = "WA",
        ["West Virginia"] = "WV", ["Wisconsin"] = "WI", ["Wyoming"] = "WY", ["Washington D.C."] = "DC", ["District of Columbia"] = "DC",
    };

    public static string? Abbreviation(string name) => ByName.TryGetValue(name.Trim(), out var abbreviation) ? abbreviation : null;
}
