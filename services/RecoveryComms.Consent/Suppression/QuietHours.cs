using NodaTime;
using NodaTime.TimeZones;
using Npgsql;
using PhoneNumbers;

namespace RecoveryComms.Consent.Suppression;

public sealed record QuietWindow(string Region, TimeOnly OpensAt, TimeOnly ClosesAt);

/// <summary>What quiet hours say about texting a recipient now.</summary>
public enum QuietHoursVerdict
{
    /// <summary>Inside the window in every zone the recipient may be in.</summary>
    Open,

    /// <summary>Outside the window in at least one of them.</summary>
    Quiet,

    /// <summary>Neither the number, its region nor its account says where the recipient is: never guessed.</summary>
    ZoneUnknown,
}

/// <summary>
/// Whether a recipient may be texted at an instant, in the recipient's local time. The zones are the number's
/// (libphonenumber's time-zone mapper, and when that has none (it answers <c>Etc/Unknown</c> for Guam's +1 671, for
/// instance) every zone of the number's region in the TZDB: GU → Pacific/Guam) plus the account's when it names one.
/// The recipient must be inside the window in every one of them (the most restrictive wins, always: an account's
/// zone can only narrow the window); when nothing names a zone the answer is <see cref="QuietHoursVerdict.ZoneUnknown"/>,
/// never the shop's own zone.
/// The window is the stricter of the default and the recipient's state row in <c>consent.quiet_hours</c> (read through
/// <see cref="QuietHoursStore"/>), and never wider than the federal 08:00–21:00 whatever the table says.
/// </summary>
public sealed class QuietHours(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>47 CFR 64.1200(c)(1): no earlier than 8 a.m. and no later than 9 p.m. at the called party's location.</summary>
    public static readonly QuietWindow Federal = new("default", new TimeOnly(8, 0), new TimeOnly(21, 0));

    private static readonly PhoneNumberToTimeZonesMapper Zones = PhoneNumberToTimeZonesMapper.GetInstance();
    private static readonly PhoneNumberOfflineGeocoder Geocoder = PhoneNumberOfflineGeocoder.GetInstance();
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    private static readonly ILookup<string, string> ZonesByCountry =
        (TzdbDateTimeZoneSource.Default.ZoneLocations ?? []).ToLookup(location => location.CountryCode, location => location.ZoneId, StringComparer.OrdinalIgnoreCase);

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
        var facts = (ZonesOf(number), RegionOf(number));
        if (_numbers.Count > 100_000)
        {
            _numbers.Clear();
        }

        _numbers[e164] = facts;
        return facts;
    }

    /// <summary>The zones a number's recipient may be in; empty when nothing says.</summary>
    public static IReadOnlyList<string> ZonesOf(PhoneNumber number)
    {
        ArgumentNullException.ThrowIfNull(number);
        var mapped = Zones.GetTimeZonesForNumber(number).Where(zone => DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) is not null).ToList();
        if (mapped.Count > 0)
        {
            return mapped;
        }

        return CountryOf(number) is { } country
            ? ZonesByCountry[country].Where(zone => DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) is not null).ToList()
            : [];
    }

    /// <summary>
    /// The number's ISO country (GU for +1 671 …): libphonenumber's answer for a valid number; else the region whose
    /// leading digits the number starts with (NANPA's territories); else the only region of its country code.
    /// Null for a non-geographic number (+800) or when several regions share the code and none is named.
    /// </summary>
    public static string? CountryOf(PhoneNumber number)
    {
        ArgumentNullException.ThrowIfNull(number);
        var region = Util.GetRegionCodeForNumber(number);
        if (IsCountry(region))
        {
            return region;
        }

        var national = Util.GetNationalSignificantNumber(number);
        var regions = Util.GetRegionCodesForCountryCode(number.CountryCode);
        foreach (var candidate in regions)
        {
            var leading = Util.GetMetadataForRegion(candidate)?.LeadingDigits;
            if (!string.IsNullOrEmpty(leading) && System.Text.RegularExpressions.Regex.IsMatch(national, "^(?:" + leading + ")", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)))
            {
                return candidate;
            }
        }

        return regions.Count == 1 && IsCountry(regions[0]) ? regions[0] : null;
    }

    private static bool IsCountry(string? region) => region is { Length: 2 } && region != "ZZ";

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

    /// <summary>Decides on a connection of its own (for callers that hold none): open, or not (quiet or zone unknown).</summary>
    public async Task<bool> IsWithinAsync(string e164, string? accountZone, DateTimeOffset at, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await CheckAsync(e164, accountZone, at, c, null, ct) == QuietHoursVerdict.Open;
    }

    /// <summary>
    /// Decides on the caller's connection. Note: never open a second connection while holding one; under load
    /// every request would hold one and wait for another, and the pool would deadlock.
    /// </summary>
    public async Task<QuietHoursVerdict> CheckAsync(string e164, string? accountZone, DateTimeOffset at, NpgsqlConnection c, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var windows = await WindowsAsync(c, tx, ct);
        var window = windows["default"];
        var facts = FactsOf(e164);
        if (facts.Region is { } region && windows.TryGetValue(region, out var stricter))
        {
            window = new QuietWindow(region, Max(window.OpensAt, stricter.OpensAt), Min(window.ClosesAt, stricter.ClosesAt));
        }

        var instant = Instant.FromDateTimeOffset(at);
        // Note: the account's zone joins the number's zones, never replaces them: whoever can write an account (an
        // integration key, a CSV import) must not be able to move a Guam number into New York's afternoon.
        var zones = accountZone is not null && DateTimeZoneProviders.Tzdb.GetZoneOrNull(accountZone) is not null && !facts.Zones.Contains(accountZone, StringComparer.Ordinal)
            ? [.. facts.Zones, accountZone]
            : facts.Zones;
        if (zones.Count == 0)
        {
            return QuietHoursVerdict.ZoneUnknown;
        }

        return zones.All(zoneId =>
        {
            var local = instant.InZone(DateTimeZoneProviders.Tzdb[zoneId]).TimeOfDay.ToTimeOnly();
            return local >= window.OpensAt && local < window.ClosesAt;
        }) ? QuietHoursVerdict.Open : QuietHoursVerdict.Quiet;
    }

    private async Task<Dictionary<string, QuietWindow>> WindowsAsync(NpgsqlConnection c, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_cache is { } cache && now - cache.LoadedAt < CacheFor && now >= cache.LoadedAt)
        {
            return cache.Windows;
        }

        var rows = await QuietHoursStore.WindowsAsync(c, tx, ct);
        // Note: a row wider than the federal window (written before it was refused, or by hand) is narrowed to it.
        var windows = rows
            .Select(w => w with { OpensAt = Max(w.OpensAt, Federal.OpensAt), ClosesAt = Min(w.ClosesAt, Federal.ClosesAt) })
            .ToDictionary(w => w.Region, StringComparer.OrdinalIgnoreCase);
        windows.TryAdd("default", Federal);
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
