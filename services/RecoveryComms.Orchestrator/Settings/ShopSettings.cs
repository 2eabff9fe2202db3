using System.Globalization;
using Microsoft.Extensions.Options;
using NodaTime;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Orchestrator.Settings;

/// <summary>What a CSR says and texts: <c>{customer}</c>, <c>{csr}</c> and <c>{shop}</c> are filled in.</summary>
public sealed record TalkTracks(string? Call, string? Voicemail, string? FollowUp);

/// <summary>
/// The two people who own a new item when its weekday's rotation names nobody (or only one person): the procedure
/// puts two names on every callback, never "the office".
/// </summary>
public sealed record FallbackOwners(Guid? PrimaryUserId, Guid? BackupUserId)
{
    public static readonly FallbackOwners None = new(null, null);
}

/// <summary>The settings document of <c>GET</c> and <c>PUT /api/settings</c> (camelCase JSON; durations as <c>hh:mm:ss</c>).</summary>
/// <param name="Version">The saved version (0: nothing saved yet, configuration only). On PUT: the version edited.</param>
/// <param name="UpdatedAt">When it was saved; null before the first save. Ignored on PUT.</param>
/// <param name="UpdatedBy">Who saved it; null before the first save. Ignored on PUT.</param>
/// <param name="OpenHours">All seven days (<c>monday</c> … <c>sunday</c>) → <c>HH:mm-HH:mm</c>; null = closed.</param>
public sealed record ShopSettingsDocument(
    long? Version, DateTimeOffset? UpdatedAt, string? UpdatedBy,
    string? ShopName, string? TimeZone, IReadOnlyDictionary<string, string?>? OpenHours, IReadOnlyList<string>? RingGroup,
    string? FirstAttemptTarget, string? Sla, string? AfterHoursFirstAttemptBy, string? PromisedCheckBefore,
    IReadOnlyList<string>? CallbackBlocks, string? SmsTemplate, TalkTracks? TalkTracks)
{
    /// <summary>Who owns a new item when its weekday has no rotation; absent or null: nobody named (the console warns).</summary>
    public FallbackOwners? FallbackOwners { get; init; }

    /// <summary>Phrases that make an item an emergency (whole words, any case); absent: the defaults; empty: none.</summary>
    public IReadOnlyList<string>? EmergencyPhrases { get; init; }

    /// <summary>An emergency's first-attempt target (<c>hh:mm:ss</c>; default 2 minutes), in and out of hours.</summary>
    public string? EmergencyFirstAttemptTarget { get; init; }

    /// <summary>An emergency's SLA (<c>hh:mm:ss</c>; default 5 minutes), in and out of hours.</summary>
    public string? EmergencySla { get; init; }
}

/// <summary>The settings in force: configuration defaults overlaid with the saved row, parsed once.</summary>
public sealed record EffectiveSettings(
    long Version, DateTimeOffset? UpdatedAt, string? UpdatedBy, string ShopName, ShopWeek Week, string TimeZone,
    IReadOnlyDictionary<string, string?> OpenHours, IReadOnlyList<string> RingGroup,
    TimeSpan FirstAttemptTarget, TimeSpan Sla, LocalTime AfterHoursFirstAttemptBy, TimeSpan PromisedCheckBefore,
    IReadOnlyList<LocalTime> CallbackBlocks, string SmsTemplate, TalkTracks TalkTracks)
{
    /// <summary>Who owns a new item when its weekday has no rotation (<see cref="FallbackOwners.None"/> when unset).</summary>
    public FallbackOwners FallbackOwners { get; init; } = FallbackOwners.None;

    /// <summary>The phrases that make an item an emergency, in the order they are tried.</summary>
    public IReadOnlyList<string> EmergencyPhrases { get; init; } = Items.EmergencyRules.DefaultPhrases;

    public TimeSpan EmergencyFirstAttemptTarget { get; init; } = ShopSettings.DefaultEmergencyFirstAttemptTarget;

    public TimeSpan EmergencySla { get; init; } = ShopSettings.DefaultEmergencySla;

    public ShopSettingsDocument ToDocument() => new(
        Version, UpdatedAt, UpdatedBy, ShopName, TimeZone, OpenHours, RingGroup,
        ShopSettings.FormatDuration(FirstAttemptTarget), ShopSettings.FormatDuration(Sla), ShopSettings.FormatTime(AfterHoursFirstAttemptBy),
        ShopSettings.FormatDuration(PromisedCheckBefore), [.. CallbackBlocks.Select(ShopSettings.FormatTime)], SmsTemplate, TalkTracks)
    {
        FallbackOwners = FallbackOwners,
        EmergencyPhrases = EmergencyPhrases,
        EmergencyFirstAttemptTarget = ShopSettings.FormatDuration(EmergencyFirstAttemptTarget),
        EmergencySla = ShopSettings.FormatDuration(EmergencySla),
    };
}

/// <summary>
/// The shop settings a manager changes in the console without a deploy (hours and zone, ring group, the loop's
/// target windows, callback blocks, the SMS template, shop name and talk tracks). Configuration gives the
/// defaults; the saved row in <c>orchestrator.shop_settings</c> overlays them. Every component reads
/// <see cref="Current"/> when it computes something, so a change applies to what is computed after it (items
/// created later get the new due times; an item's stored due times never move).
/// </summary>
public sealed class ShopSettings
{
    public const string DefaultCallTrack =
        "Hi {customer}, this is {csr} from {shop}. I'm returning your call: sorry we missed you. How can we help today?";

    public const string DefaultVoicemailTrack =
        "Hi {customer}, this is {csr} from {shop}, calling back about the message you left us. Is now a good time to go over what you need?";

    public const string DefaultFollowUpTrack =
        "Hi {customer}, this is {csr} from {shop}, following up on your recent service with us (your update, warranty question or estimate). Do you have a couple of minutes?";

    public const int TalkTrackMaxLength = 2000;

    public static readonly TimeSpan DefaultEmergencyFirstAttemptTarget = TimeSpan.FromMinutes(2);

    public static readonly TimeSpan DefaultEmergencySla = TimeSpan.FromMinutes(5);

    private static readonly string[] TemplatePlaceholders = ["{shop}", "{windowA}", "{windowB}", "{issue}"];
    private static readonly string[] TalkTrackPlaceholders = ["{customer}", "{csr}", "{shop}"];
    private static readonly string[] Days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

    private readonly Lock _gate = new();
    private readonly ShopCalendar _calendar;
    private readonly ShopSettingsDocument _defaults;
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile EffectiveSettings _current;

    public ShopSettings(IOptions<RecoveryOptions> recovery, IOptions<BusinessOptions> business, IConfiguration configuration, ShopCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(recovery);
        ArgumentNullException.ThrowIfNull(business);
        ArgumentNullException.ThrowIfNull(configuration);
        _calendar = calendar;
        var r = recovery.Value;
        var b = business.Value;
        // The ring group's default is the webhooks service's own key (Webhooks__RingGroup__n): one setting, read by both.
        var ringGroup = configuration.GetSection("Webhooks:RingGroup").Get<List<string>>() ?? [];
        _defaults = new ShopSettingsDocument(
            0, null, null, r.ShopName, b.TimeZone,
            Days.ToDictionary(day => day, day => (string?)b.OpenHours.FirstOrDefault(h => string.Equals(h.Key, day, StringComparison.OrdinalIgnoreCase)).Value),
            [.. ringGroup.Select(n => Phone.NormalizeOrRaw(n, "US"))],
            FormatDuration(r.FirstAttemptTarget), FormatDuration(r.Sla), r.AfterHoursFirstAttemptBy, FormatDuration(r.PromisedCheckBefore),
            r.CallbackBlocks, r.SmsTemplate, new TalkTracks(DefaultCallTrack, DefaultVoicemailTrack, DefaultFollowUpTrack));
        _current = Effective(0, null, null, null);
        calendar.Apply(_current.Week);
    }

    /// <summary>The settings in force on this replica now.</summary>
    public EffectiveSettings Current => _current;

    /// <summary>Completes once the saved row (if any) has been read at start; readiness stays red until then.</summary>
    public Task Loaded => _loaded.Task;

    public void MarkLoaded() => _loaded.TrySetResult();

    /// <summary>
    /// Puts a saved version in force (this replica's own save, or another's seen through the database); an older
    /// or equal version than the one in force changes nothing.
    /// </summary>
    public bool Apply(long version, ShopSettingsDocument? saved, string? updatedBy, DateTimeOffset? updatedAt)
    {
        lock (_gate)
        {
            if (version <= _current.Version)
            {
                return false;
            }

            var next = Effective(version, saved, updatedBy, updatedAt);
            _current = next;
            _calendar.Apply(next.Week);
            return true;
        }
    }

    /// <summary>The configuration defaults overlaid with a saved document (a field it lacks keeps its default).</summary>
    private EffectiveSettings Effective(long version, ShopSettingsDocument? saved, string? updatedBy, DateTimeOffset? updatedAt)
    {
        var d = _defaults;
        var hours = saved?.OpenHours ?? d.OpenHours!;
        var timeZone = saved?.TimeZone ?? d.TimeZone!;
        var tracks = saved?.TalkTracks;
        return new EffectiveSettings(
            version, updatedAt, updatedBy,
            saved?.ShopName ?? d.ShopName!,
            ShopWeek.Create(timeZone, hours),
            timeZone,
            Days.ToDictionary(day => day, day => hours.FirstOrDefault(h => string.Equals(h.Key, day, StringComparison.OrdinalIgnoreCase)).Value),
            saved?.RingGroup ?? d.RingGroup!,
            ParseDuration(saved?.FirstAttemptTarget) ?? ParseDuration(d.FirstAttemptTarget)!.Value,
            ParseDuration(saved?.Sla) ?? ParseDuration(d.Sla)!.Value,
            ParseTime(saved?.AfterHoursFirstAttemptBy) ?? ParseTime(d.AfterHoursFirstAttemptBy) ?? new LocalTime(8, 30),
            ParseDuration(saved?.PromisedCheckBefore) ?? ParseDuration(d.PromisedCheckBefore)!.Value,
            [.. (saved?.CallbackBlocks ?? d.CallbackBlocks!).Select(b => ParseTime(b) ?? LocalTime.Noon).Order()],
            saved?.SmsTemplate ?? d.SmsTemplate!,
            new TalkTracks(tracks?.Call ?? d.TalkTracks!.Call, tracks?.Voicemail ?? d.TalkTracks!.Voicemail, tracks?.FollowUp ?? d.TalkTracks!.FollowUp))
        {
            FallbackOwners = saved?.FallbackOwners ?? FallbackOwners.None,
            EmergencyPhrases = saved?.EmergencyPhrases ?? Items.EmergencyRules.DefaultPhrases,
            EmergencyFirstAttemptTarget = ParseDuration(saved?.EmergencyFirstAttemptTarget) ?? DefaultEmergencyFirstAttemptTarget,
            EmergencySla = ParseDuration(saved?.EmergencySla) ?? DefaultEmergencySla,
        };
    }

    /// <summary>
    /// Checks a document a manager wants to save; errors are keyed by the document's camelCase field names.
    /// Returns the document to store (numbers in E.164, all seven days, days in lower case) when there are none.
    /// </summary>
    /// <param name="document">The document a manager saves.</param>
    /// <param name="defaultRegion">Region for numbers written without a country code.</param>
    /// <param name="ringGroupCountries">
    /// The countries (ISO 3166 codes) a ring-group number may be in; null means the shop's own (<paramref name="defaultRegion"/>).
    /// </param>
    public static (Dictionary<string, string[]> Errors, ShopSettingsDocument? Normalized) Validate(
        ShopSettingsDocument? document, string defaultRegion, IReadOnlyCollection<string>? ringGroupCountries = null)
    {
        ArgumentNullException.ThrowIfNull(defaultRegion);
        IReadOnlyCollection<string> countries = ringGroupCountries is { Count: > 0 } ? ringGroupCountries : [defaultRegion];
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
            {
                errors[field] = list = [];
            }

            list.Add(message);
        }

        if (document is null)
        {
            return (new Dictionary<string, string[]> { [""] = ["The settings document is required."] }, null);
        }

        if (document.Version is not { } version || version < 0)
        {
            Add("version", "The version you edited is required (0 when nothing was saved yet).");
        }

        var shopName = document.ShopName?.Trim();
        if (shopName is null || shopName.Length is < 2 or > 40 || shopName.Any(char.IsControl))
        {
            Add("shopName", "The shop's name is required: 2 to 40 characters on one line.");
        }

        if (document.TimeZone is null || DateTimeZoneProviders.Tzdb.GetZoneOrNull(document.TimeZone) is null)
        {
            Add("timeZone", $"'{document.TimeZone}' is not an IANA time zone (e.g. America/Chicago).");
        }

        var hours = new Dictionary<string, string?>();
        if (document.OpenHours is null)
        {
            Add("openHours", "Opening hours are required: each day of the week → HH:mm-HH:mm, or null when closed.");
        }
        else
        {
            foreach (var (day, range) in document.OpenHours)
            {
                var name = day.ToLowerInvariant();
                if (!Days.Contains(name))
                {
                    Add("openHours", $"'{day}' is not a day of the week (monday … sunday).");
                }
                else if (range is not null && !ShopCalendar.TryParseRange(range, out _, out _))
                {
                    Add("openHours", $"{name}: '{range}' must look like 08:00-18:00 (HH:mm-HH:mm, opening before closing), or null when closed.");
                }
                else
                {
                    hours[name] = range?.Replace(" ", "", StringComparison.Ordinal);
                }
            }
        }

        var ringGroup = new List<string>();
        // Note: an empty ring group is refused rather than saved: it would silently send every call to voicemail, which
        // is what a manager saving a page whose ring group came up empty (not configured for this process) would do.
        if (document.RingGroup is null || document.RingGroup.Count == 0)
        {
            Add("ringGroup", "At least one phone must ring for incoming calls (with none, every call goes to voicemail).");
        }
        else
        {
            if (document.RingGroup.Count > MaxRingGroup)
            {
                Add("ringGroup", $"At most {MaxRingGroup} phones ring at once (Twilio's <Dial> takes ten numbers).");
            }

            foreach (var number in document.RingGroup)
            {
                if (Phone.TryNormalize(number, defaultRegion, out var e164) && IsChargedToCaller(e164))
                {
                    Add("ringGroup", $"'{number}' is a premium-rate or shared-cost number; the ring group rings staff phones.");
                }
                else if (Phone.TryNormalize(number, defaultRegion, out e164) && CountryOf(e164) is var country
                    && !countries.Contains(country, StringComparer.OrdinalIgnoreCase))
                {
                    // Note: every incoming call rings each of these numbers, billed to the shop; a manager (or a stolen
                    // manager key) must not be able to forward the shop's calls abroad. Configuration widens the list.
                    Add("ringGroup", $"'{number}' is a number in {country}; the ring group takes numbers in {string.Join(", ", countries)} "
                        + "(Recovery:RingGroupCountries allows more).");
                }
                else if (Phone.TryNormalize(number, defaultRegion, out e164))
                {
                    if (!ringGroup.Contains(e164))
                    {
                        ringGroup.Add(e164);
                    }
                }
                else
                {
                    Add("ringGroup", $"'{number}' is not a phone number.");
                }
            }
        }

        var first = ParseDuration(document.FirstAttemptTarget);
        if (first is not { } f || f <= TimeSpan.Zero || f > MaxFirstAttemptTarget)
        {
            Add("firstAttemptTarget", "A positive duration (hh:mm:ss) of at most 4 hours is required.");
        }

        // Note: the clocks are bounded so a typo cannot push a due time past what a date can hold (every new item
        // would fail) or park the loop for months.
        var sla = ParseDuration(document.Sla);
        if (sla is not { } s || s <= TimeSpan.Zero || s > MaxSpan)
        {
            Add("sla", "A positive duration (hh:mm:ss) of at most 24 hours is required.");
        }
        else if (first is { } firstTarget && firstTarget > TimeSpan.Zero && firstTarget <= MaxFirstAttemptTarget && s <= firstTarget)
        {
            Add("sla", "The SLA must be longer than the first-attempt target.");
        }

        if (ParseTime(document.AfterHoursFirstAttemptBy) is null)
        {
            Add("afterHoursFirstAttemptBy", "A shop-local time HH:mm is required.");
        }

        if (ParseDuration(document.PromisedCheckBefore) is not { } p || p <= TimeSpan.Zero || p > MaxSpan)
        {
            Add("promisedCheckBefore", "A positive duration (hh:mm:ss) of at most 24 hours is required.");
        }

        if (document.CallbackBlocks is not { Count: > 0 and <= 12 } blocks)
        {
            Add("callbackBlocks", "One to twelve callback blocks (HH:mm) are required.");
        }
        else
        {
            foreach (var block in blocks.Where(b => ParseTime(b) is null))
            {
                Add("callbackBlocks", $"'{block}' is not a time HH:mm.");
            }
        }

        var template = document.SmsTemplate;
        if (string.IsNullOrWhiteSpace(template))
        {
            Add("smsTemplate", "The SMS template is required.");
        }
        else
        {
            foreach (var unknown in UnknownPlaceholders(template, TemplatePlaceholders))
            {
                Add("smsTemplate", $"{unknown} is not a placeholder; use {string.Join(", ", TemplatePlaceholders)}.");
            }

            if (!template.Contains("STOP", StringComparison.Ordinal))
            {
                Add("smsTemplate", "The SMS must tell the customer to reply STOP to opt out.");
            }

            if (shopName is { Length: >= 2 } && Sms.RecoverySms.LongestAutomaticFill(template, shopName) is var length && length.Segments > 1)
            {
                Add("smsTemplate", string.Create(CultureInfo.InvariantCulture,
                    $"Filled with the shop's name and the longest windows the automatic SMS offers, it counts {length.Units} {(length.Gsm7 ? "GSM-7" : "UCS-2")} characters; one SMS segment holds {(length.Gsm7 ? 160 : 70)}."));
            }
        }

        if (document.TalkTracks is not { } tracks)
        {
            Add("talkTracks", "Talk tracks are required: call, voicemail and followUp.");
        }
        else
        {
            foreach (var (name, text) in new[] { ("call", tracks.Call), ("voicemail", tracks.Voicemail), ("followUp", tracks.FollowUp) })
            {
                if (string.IsNullOrWhiteSpace(text))
                {
                    Add("talkTracks", $"{name} is required.");
                    continue;
                }

                if (text.Length > TalkTrackMaxLength)
                {
                    Add("talkTracks", string.Create(CultureInfo.InvariantCulture, $"{name} is {text.Length} characters; at most {TalkTrackMaxLength}."));
                }

                foreach (var unknown in UnknownPlaceholders(text, TalkTrackPlaceholders))
                {
                    Add("talkTracks", $"{name}: {unknown} is not a placeholder; use {string.Join(", ", TalkTrackPlaceholders)}.");
                }
            }
        }

        if (document.FallbackOwners is { PrimaryUserId: { } fallbackPrimary, BackupUserId: { } fallbackBackup } && fallbackPrimary == fallbackBackup)
        {
            Add("fallbackOwners", "The fallback primary and backup must be two different people.");
        }

        var phrases = new List<string>();
        if (document.EmergencyPhrases is { } wanted)
        {
            if (wanted.Count > Items.EmergencyRules.MaxPhrases)
            {
                Add("emergencyPhrases", $"At most {Items.EmergencyRules.MaxPhrases} emergency phrases.");
            }

            foreach (var phrase in wanted)
            {
                if (Items.EmergencyRules.Problem(phrase) is { } problem)
                {
                    Add("emergencyPhrases", problem);
                }
                else if (!phrases.Contains(phrase.Trim(), StringComparer.OrdinalIgnoreCase))
                {
                    phrases.Add(string.Join(' ', phrase.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
                }
            }
        }

        var emergencyFirst = document.EmergencyFirstAttemptTarget is null ? DefaultEmergencyFirstAttemptTarget : ParseDuration(document.EmergencyFirstAttemptTarget);
        if (emergencyFirst is not { } ef || ef <= TimeSpan.Zero || ef > MaxFirstAttemptTarget)
        {
            Add("emergencyFirstAttemptTarget", "A positive duration (hh:mm:ss) of at most 4 hours is required.");
        }

        var emergencySla = document.EmergencySla is null ? DefaultEmergencySla : ParseDuration(document.EmergencySla);
        if (emergencySla is not { } es || es <= TimeSpan.Zero || es > MaxSpan)
        {
            Add("emergencySla", "A positive duration (hh:mm:ss) of at most 24 hours is required.");
        }
        else if (emergencyFirst is { } efirst && efirst > TimeSpan.Zero && es <= efirst)
        {
            Add("emergencySla", "The emergency SLA must be longer than the emergency first-attempt target.");
        }

        if (errors.Count > 0)
        {
            return (errors.ToDictionary(e => e.Key, e => e.Value.ToArray()), null);
        }

        return ([], document with
        {
            UpdatedAt = null, UpdatedBy = null, ShopName = shopName,
            OpenHours = Days.ToDictionary(day => day, day => hours.GetValueOrDefault(day)),
            RingGroup = ringGroup,
            FirstAttemptTarget = FormatDuration(first!.Value), Sla = FormatDuration(sla!.Value),
            PromisedCheckBefore = FormatDuration(ParseDuration(document.PromisedCheckBefore)!.Value),
            EmergencyPhrases = document.EmergencyPhrases is null ? null : phrases,
            EmergencyFirstAttemptTarget = document.EmergencyFirstAttemptTarget is null ? null : FormatDuration(emergencyFirst!.Value),
            EmergencySla = document.EmergencySla is null ? null : FormatDuration(emergencySla!.Value),
        });
    }

    private static IEnumerable<string> UnknownPlaceholders(string text, string[] known) =>
        System.Text.RegularExpressions.Regex.Matches(text, @"\{[^{}]*\}", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1))
            .Select(m => m.Value).Where(token => !known.Contains(token, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal);

    private const int MaxRingGroup = 10;
    private static readonly TimeSpan MaxFirstAttemptTarget = TimeSpan.FromHours(4);
    private static readonly TimeSpan MaxSpan = TimeSpan.FromHours(24);

    /// <summary>
    /// The country of an E.164 number: libphonenumber's region for a valid number (CA, GU and PR are not US), else the
    /// main region of its country code (a +1 555 test number is US).
    /// </summary>
    internal static string CountryOf(string e164)
    {
        var util = PhoneNumbers.PhoneNumberUtil.GetInstance();
        var number = util.Parse(e164, null);
        var region = util.GetRegionCodeForNumber(number);
        return region is { Length: 2 } && region != "ZZ" ? region : util.GetRegionCodeForCountryCode(number.CountryCode);
    }

    /// <summary>What a reader of the settings sees: CSRs get the ring group's numbers masked (the last four digits).</summary>
    public static ShopSettingsDocument ForReader(ShopSettingsDocument document, bool seesPhoneNumbers)
    {
        ArgumentNullException.ThrowIfNull(document);
        return seesPhoneNumbers ? document : document with { RingGroup = [.. (document.RingGroup ?? []).Select(Phone.Mask)] };
    }

    /// <summary>Premium-rate and shared-cost numbers: a ring group pointed at one would bill every incoming call.</summary>
    private static bool IsChargedToCaller(string e164)
    {
        var util = PhoneNumbers.PhoneNumberUtil.GetInstance();
        var type = util.GetNumberType(util.Parse(e164, null));
        return type is PhoneNumbers.PhoneNumberType.PREMIUM_RATE or PhoneNumbers.PhoneNumberType.SHARED_COST;
    }

    public static TimeSpan? ParseDuration(string? text) =>
        TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out var value) ? value : null;

    public static string FormatDuration(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);

    public static LocalTime? ParseTime(string? text) => ShopCalendar.TryParseTime(text, out var time) ? time : null;

    public static string FormatTime(LocalTime time) => time.ToString("HH:mm", CultureInfo.InvariantCulture);
}
