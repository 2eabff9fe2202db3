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
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();
    private readonly string _shopZone = configuration["Business:TimeZone"] ?? "America/Chicago";

    // Note: a number's zones and state never change, and looking them up (parse, time-zone map, geocoder) was the
    // largest cost of a suppression check; they are remembered per number (bounded).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (IReadOnlyList<string> Zones, string? Region)> _numbers = new(StringComparer.Ordinal);
    private (DateTimeOffset LoadedAt, Dictionary<string, QuietWindow> Windows)? _cache;

    private (IReadOnlyList<string> Zones, string? Region) FactsOf(string e164)
    {
        if (_numbers.TryGetValue(e164, out var known))
        {
            return known;
        }

        var number = Util.Parse(e164, null);
        var zones = Zones.GetTimeZonesForNumber(number).Where(zone => DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) is not null).ToList();
        var facts = ((IReadOnlyList<string>)(zones.Count > 0 ? zones : [_shopZone]), RegionOf(number));
        if (_numbers.Count > 100_000)
        {
            _numbers.Clear();
        }

        _numbers[e164] = facts;
        return facts;
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

    /// <summary>Decides on a connection of its own (for callers that hold none).</summary>
    public async Task<bool> IsWithinAsync(string e164, string? accountZone, DateTimeOffset at, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await IsWithinAsync(e164, accountZone, at, c, null, ct);
    }

    /// <summary>
    /// Decides on the caller's connection. Note: never open a second connection while holding one; under load
    /// every request would hold one and wait for another, and the pool would deadlock.
    /// </summary>
    public async Task<bool> IsWithinAsync(string e164, string? accountZone, DateTimeOffset at, NpgsqlConnection c, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var windows = await WindowsAsync(c, tx, ct);
        var window = windows["default"];
        var facts = FactsOf(e164);
        if (facts.Region is { } region && windows.TryGetValue(region, out var stricter))
        {
            window = new QuietWindow(region, Max(window.OpensAt, stricter.OpensAt), Min(window.ClosesAt, stricter.ClosesAt));
        }

        var instant = Instant.FromDateTimeOffset(at);
        var zones = accountZone is not null && DateTimeZoneProviders.Tzdb.GetZoneOrNull(accountZone) is not null ? [accountZone] : facts.Zones;
        return zones.All(zoneId =>
        {
            var local = instant.InZone(DateTimeZoneProviders.Tzdb[zoneId]).TimeOfDay.ToTimeOnly();
            return local >= window.OpensAt && local < window.ClosesAt;
        });
    }

    private async Task<Dictionary<string, QuietWindow>> WindowsAsync(NpgsqlConnection c, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_cache is { } cache && now - cache.LoadedAt < CacheFor && now >= cache.LoadedAt)
        {
            return cache.Windows;
        }

        var rows = await c.QueryAsync<QuietWindow>(new CommandDefinition(
            "SELECT region, opens_at AS OpensAt, closes_at AS ClosesAt FROM consent.quiet_hours", transaction: tx, cancellationToken: ct));
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
