using RecoveryComms.Orchestrator.Items;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using NodaTime;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Orchestrator;
using RecoveryComms.Orchestrator.Settings;
using static RecoveryComms.Rules.Tests.TestShop;

namespace RecoveryComms.Rules.Tests.Settings;

/// <summary>
/// The settings a manager saves: every rule of <see cref="ShopSettings.Validate"/> with the error key and message it
/// answers, what a valid document is stored as, and how configuration and a saved row make the settings in force.
/// </summary>
public sealed class ShopSettingsTests
{
    private const string Template = "{shop}: sorry we missed your call{issue}. We can call you back {windowA} or {windowB}. Reply with a time. Reply STOP to opt out.";

    private static readonly string[] Week = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

    private static ShopSettingsDocument Valid() => new(
        Version: 3, UpdatedAt: At("2026-03-01T00:00Z"), UpdatedBy: "someone", ShopName: "Acme Auto", TimeZone: "America/Chicago",
        OpenHours: new Dictionary<string, string?>
        {
            ["monday"] = "08:00-18:00", ["tuesday"] = "08:00-18:00", ["wednesday"] = "08:00-18:00", ["thursday"] = "08:00-18:00",
            ["friday"] = "08:00-18:00", ["saturday"] = "09:00-13:00", ["sunday"] = null,
        },
        RingGroup: ["+13125550101"], FirstAttemptTarget: "00:05:00", Sla: "00:15:00", AfterHoursFirstAttemptBy: "08:30",
        PromisedCheckBefore: "00:30:00", CallbackBlocks: ["10:00", "14:00"], SmsTemplate: Template,
        TalkTracks: new TalkTracks(ShopSettings.DefaultCallTrack, ShopSettings.DefaultVoicemailTrack, ShopSettings.DefaultFollowUpTrack));

    private static Dictionary<string, string[]> ErrorsOf(ShopSettingsDocument document, string region = "US", IReadOnlyCollection<string>? countries = null)
    {
        var (errors, normalized) = ShopSettings.Validate(document, region, countries);
        Assert.Null(normalized);
        return errors;
    }

    private static ShopSettingsDocument Saved(ShopSettingsDocument document, string region = "US", IReadOnlyCollection<string>? countries = null)
    {
        var (errors, normalized) = ShopSettings.Validate(document, region, countries);
        Assert.Empty(errors);
        return Assert.IsType<ShopSettingsDocument>(normalized);
    }

    private static string[] Numbers(int count) =>
        [.. Enumerable.Range(0, count).Select(i => "+1312555" + (100 + i).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(4, '0'))];

    public static TheoryData<string, Func<ShopSettingsDocument, ShopSettingsDocument>, string, string[]> Invalid => new()
    {
        // scenario, the change to a valid document, the key, its messages
        { "no version", d => d with { Version = null }, "version", ["The version you edited is required (0 when nothing was saved yet)."] },
        { "a negative version", d => d with { Version = -1 }, "version", ["The version you edited is required (0 when nothing was saved yet)."] },

        { "no shop name", d => d with { ShopName = null }, "shopName", ["The shop's name is required: 2 to 40 characters on one line."] },
        { "a one-letter name", d => d with { ShopName = "A" }, "shopName", ["The shop's name is required: 2 to 40 characters on one line."] },
        { "one letter once trimmed", d => d with { ShopName = "  A  " }, "shopName", ["The shop's name is required: 2 to 40 characters on one line."] },
        { "41 characters", d => d with { ShopName = new string('a', 41), SmsTemplate = "{shop} Reply STOP" }, "shopName", ["The shop's name is required: 2 to 40 characters on one line."] },
        { "two lines", d => d with { ShopName = "Acme\nAuto" }, "shopName", ["The shop's name is required: 2 to 40 characters on one line."] },
        { "a tab", d => d with { ShopName = "Acme\tAuto", SmsTemplate = "{shop} Reply STOP" }, "shopName", ["The shop's name is required: 2 to 40 characters on one line."] },

        { "no zone", d => d with { TimeZone = null }, "timeZone", ["'' is not an IANA time zone (e.g. America/Chicago)."] },
        { "an unknown zone", d => d with { TimeZone = "Mars/Olympus" }, "timeZone", ["'Mars/Olympus' is not an IANA time zone (e.g. America/Chicago)."] },
        { "a Windows zone name", d => d with { TimeZone = "Central Standard Time" }, "timeZone", ["'Central Standard Time' is not an IANA time zone (e.g. America/Chicago)."] },

        { "no hours", d => d with { OpenHours = null }, "openHours", ["Opening hours are required: each day of the week → HH:mm-HH:mm, or null when closed."] },
        {
            "a day that is not one", d => d with { OpenHours = new Dictionary<string, string?> { ["Funday"] = "08:00-18:00" } },
            "openHours", ["'Funday' is not a day of the week (monday … sunday)."]
        },
        {
            "closing before opening, day in capitals",
            d => d with { OpenHours = new Dictionary<string, string?> { ["MONDAY"] = "18:00-08:00", ["tuesday"] = "all day" } },
            "openHours",
            [
                "monday: '18:00-08:00' must look like 08:00-18:00 (HH:mm-HH:mm, opening before closing), or null when closed.",
                "tuesday: 'all day' must look like 08:00-18:00 (HH:mm-HH:mm, opening before closing), or null when closed.",
            ]
        },

        { "no ring group", d => d with { RingGroup = null }, "ringGroup", ["At least one phone must ring for incoming calls (with none, every call goes to voicemail)."] },
        { "an empty ring group", d => d with { RingGroup = [] }, "ringGroup", ["At least one phone must ring for incoming calls (with none, every call goes to voicemail)."] },
        { "eleven phones", d => d with { RingGroup = Numbers(11) }, "ringGroup", ["At most 10 phones ring at once (Twilio's <Dial> takes ten numbers)."] },
        { "not a number", d => d with { RingGroup = ["+13125550101", "call me"] }, "ringGroup", ["'call me' is not a phone number."] },
        { "a withheld ID", d => d with { RingGroup = ["anonymous"] }, "ringGroup", ["'anonymous' is not a phone number."] },
        {
            "a US premium-rate number", d => d with { RingGroup = ["+1 900 234 5678"] },
            "ringGroup", ["'+1 900 234 5678' is a premium-rate or shared-cost number; the ring group rings staff phones."]
        },
        {
            "a UK shared-cost number", d => d with { RingGroup = ["+44 843 123 4567"] },
            "ringGroup", ["'+44 843 123 4567' is a premium-rate or shared-cost number; the ring group rings staff phones."]
        },
        {
            "a London number", d => d with { RingGroup = ["+44 20 7946 0018"] },
            "ringGroup", ["'+44 20 7946 0018' is a number in GB; the ring group takes numbers in US (Recovery:RingGroupCountries allows more)."]
        },
        {
            "a Canadian number (+1, not US)", d => d with { RingGroup = ["+1 204 234 5678"] },
            "ringGroup", ["'+1 204 234 5678' is a number in CA; the ring group takes numbers in US (Recovery:RingGroupCountries allows more)."]
        },

        { "no first-attempt target", d => d with { FirstAttemptTarget = null }, "firstAttemptTarget", ["A positive duration (hh:mm:ss) of at most 4 hours is required."] },
        { "target in words", d => d with { FirstAttemptTarget = "5 minutes" }, "firstAttemptTarget", ["A positive duration (hh:mm:ss) of at most 4 hours is required."] },
        { "a zero target", d => d with { FirstAttemptTarget = "00:00:00" }, "firstAttemptTarget", ["A positive duration (hh:mm:ss) of at most 4 hours is required."] },
        { "a negative target", d => d with { FirstAttemptTarget = "-00:05:00" }, "firstAttemptTarget", ["A positive duration (hh:mm:ss) of at most 4 hours is required."] },
        { "a target a second over 4 hours", d => d with { FirstAttemptTarget = "04:00:01" }, "firstAttemptTarget", ["A positive duration (hh:mm:ss) of at most 4 hours is required."] },

        { "no SLA", d => d with { Sla = null }, "sla", ["A positive duration (hh:mm:ss) of at most 24 hours is required."] },
        { "a zero SLA", d => d with { Sla = "00:00:00" }, "sla", ["A positive duration (hh:mm:ss) of at most 24 hours is required."] },
        { "an SLA a second over a day", d => d with { Sla = "1.00:00:01" }, "sla", ["A positive duration (hh:mm:ss) of at most 24 hours is required."] },
        { "an SLA equal to the target", d => d with { Sla = "00:05:00" }, "sla", ["The SLA must be longer than the first-attempt target."] },
        { "an SLA shorter than the target", d => d with { Sla = "00:04:59" }, "sla", ["The SLA must be longer than the first-attempt target."] },
        { "an SLA shorter than the longest target", d => d with { FirstAttemptTarget = "04:00:00", Sla = "03:00:00" }, "sla", ["The SLA must be longer than the first-attempt target."] },

        { "no after-hours mark", d => d with { AfterHoursFirstAttemptBy = null }, "afterHoursFirstAttemptBy", ["A shop-local time HH:mm is required."] },
        { "an after-hours mark without its zero", d => d with { AfterHoursFirstAttemptBy = "8:30" }, "afterHoursFirstAttemptBy", ["A shop-local time HH:mm is required."] },
        { "an after-hours mark with seconds", d => d with { AfterHoursFirstAttemptBy = "08:30:00" }, "afterHoursFirstAttemptBy", ["A shop-local time HH:mm is required."] },

        { "no promised check", d => d with { PromisedCheckBefore = null }, "promisedCheckBefore", ["A positive duration (hh:mm:ss) of at most 24 hours is required."] },
        { "a zero promised check", d => d with { PromisedCheckBefore = "00:00:00" }, "promisedCheckBefore", ["A positive duration (hh:mm:ss) of at most 24 hours is required."] },
        { "a promised check over a day", d => d with { PromisedCheckBefore = "1.00:00:01" }, "promisedCheckBefore", ["A positive duration (hh:mm:ss) of at most 24 hours is required."] },

        { "no callback blocks", d => d with { CallbackBlocks = null }, "callbackBlocks", ["One to twelve callback blocks (HH:mm) are required."] },
        { "an empty list of blocks", d => d with { CallbackBlocks = [] }, "callbackBlocks", ["One to twelve callback blocks (HH:mm) are required."] },
        {
            "thirteen blocks", d => d with { CallbackBlocks = [.. Enumerable.Range(8, 13).Select(h => $"{h:00}:00")] },
            "callbackBlocks", ["One to twelve callback blocks (HH:mm) are required."]
        },
        {
            "blocks that are not times", d => d with { CallbackBlocks = ["10:00", "noon", "25:00"] },
            "callbackBlocks", ["'noon' is not a time HH:mm.", "'25:00' is not a time HH:mm."]
        },

        { "no template", d => d with { SmsTemplate = null }, "smsTemplate", ["The SMS template is required."] },
        { "a blank template", d => d with { SmsTemplate = "   " }, "smsTemplate", ["The SMS template is required."] },
        {
            "unknown placeholders, each named once", d => d with { SmsTemplate = "Hi {customer}, {customer} {csr}! Reply STOP to opt out." },
            "smsTemplate",
            ["{customer} is not a placeholder; use {shop}, {windowA}, {windowB}, {issue}.", "{csr} is not a placeholder; use {shop}, {windowA}, {windowB}, {issue}."]
        },
        { "no STOP", d => d with { SmsTemplate = "{shop}: we missed your call." }, "smsTemplate", ["The SMS must tell the customer to reply STOP to opt out."] },
        { "stop in small letters", d => d with { SmsTemplate = "{shop}: reply stop to opt out." }, "smsTemplate", ["The SMS must tell the customer to reply STOP to opt out."] },
        {
            "a name one character too long for one segment", d => d with { ShopName = "Main Street Auto" },
            "smsTemplate",
            ["Filled with the shop's name and the longest windows the automatic SMS offers, it counts 161 GSM-7 characters; one SMS segment holds 160."]
        },
        {
            "a two-letter name is measured too", d => d with { ShopName = "Ab", SmsTemplate = Template + new string('.', 20) },
            "smsTemplate",
            ["Filled with the shop's name and the longest windows the automatic SMS offers, it counts 167 GSM-7 characters; one SMS segment holds 160."]
        },
        {
            "a curly apostrophe makes it UCS-2",
            d => d with { SmsTemplate = "{shop}: sorry we missed your call. We’ll call you back {windowA} or {windowB}. Reply STOP to opt out." },
            "smsTemplate",
            ["Filled with the shop's name and the longest windows the automatic SMS offers, it counts 134 UCS-2 characters; one SMS segment holds 70."]
        },

        { "no talk tracks", d => d with { TalkTracks = null }, "talkTracks", ["Talk tracks are required: call, voicemail and followUp."] },
        {
            "blank tracks", d => d with { TalkTracks = new TalkTracks("", "  ", null) },
            "talkTracks", ["call is required.", "voicemail is required.", "followUp is required."]
        },
        {
            "a call track over 2000 characters", d => d with { TalkTracks = d.TalkTracks! with { Call = new string('a', 2001) } },
            "talkTracks", ["call is 2001 characters; at most 2000."]
        },
        {
            "an unknown placeholder in a track", d => d with { TalkTracks = d.TalkTracks! with { Voicemail = "Hi {name}, {csr} here." } },
            "talkTracks", ["voicemail: {name} is not a placeholder; use {customer}, {csr}, {shop}."]
        },
        {
            "a long track with an SMS placeholder", d => d with { TalkTracks = d.TalkTracks! with { FollowUp = "{windowA}" + new string('a', 1995) } },
            "talkTracks", ["followUp is 2004 characters; at most 2000.", "followUp: {windowA} is not a placeholder; use {customer}, {csr}, {shop}."]
        },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_BreakingOneRule_AnswersThatKeyAlone(string scenario, Func<ShopSettingsDocument, ShopSettingsDocument> change, string key, string[] messages)
    {
        Assert.NotEmpty(scenario);
        var errors = ErrorsOf(change(Valid()));

        Assert.Equal([key], errors.Keys);
        Assert.Equal(messages, errors[key]);
    }

    [Fact]
    public void Validate_AnEmptyDocument_AnswersEveryRequiredField()
    {
        var empty = new ShopSettingsDocument(null, null, null, null, null, null, null, null, null, null, null, null, null, null);

        var errors = ErrorsOf(empty);

        Assert.Equal(
            ["version", "shopName", "timeZone", "openHours", "ringGroup", "firstAttemptTarget", "sla", "afterHoursFirstAttemptBy", "promisedCheckBefore",
                "callbackBlocks", "smsTemplate", "talkTracks"],
            errors.Keys);
        Assert.All(errors.Values, messages => Assert.Single(messages));
    }

    [Fact]
    public void Validate_NoDocument_IsOneErrorWithoutAField()
    {
        var (errors, normalized) = ShopSettings.Validate(null, "US");

        Assert.Null(normalized);
        Assert.Equal(["The settings document is required."], Assert.Single(errors, e => e.Key == "").Value);
        Assert.Single(errors);
    }

    [Fact]
    public void Validate_NoRegion_Throws() => Assert.Throws<ArgumentNullException>(() => ShopSettings.Validate(Valid(), null!));

    [Fact]
    public void Validate_AnInvalidTarget_DoesNotAlsoCompareTheSlaWithIt()
    {
        var errors = ErrorsOf(Valid() with { FirstAttemptTarget = "05:00:00", Sla = "04:00:00" });

        Assert.Equal(["firstAttemptTarget"], errors.Keys);
    }

    [Fact]
    public void Validate_AShopNameTooShort_DoesNotMeasureTheSmsWithIt()
    {
        var errors = ErrorsOf(Valid() with { ShopName = "A", SmsTemplate = Template + " " + new string('a', 100) });

        Assert.Equal(["shopName"], errors.Keys);
    }

    [Fact]
    public void Validate_AShopNameTooLong_IsAlsoMeasuredInTheSms()
    {
        var errors = ErrorsOf(Valid() with { ShopName = new string('a', 41) });

        Assert.Equal(["shopName", "smsTemplate"], errors.Keys);
        Assert.Equal(
            ["Filled with the shop's name and the longest windows the automatic SMS offers, it counts 186 GSM-7 characters; one SMS segment holds 160."],
            errors["smsTemplate"]);
    }

    [Fact]
    public void Validate_ElevenPhonesOneNotANumber_AnswersBoth()
    {
        var errors = ErrorsOf(Valid() with { RingGroup = [.. Numbers(10), "nope"] });

        Assert.Equal(["At most 10 phones ring at once (Twilio's <Dial> takes ten numbers).", "'nope' is not a phone number."], errors["ringGroup"]);
    }

    [Fact]
    public void Validate_TheRuleBoundaries_AreAccepted()
    {
        var saved = Saved(Valid() with
        {
            Version = 0,
            ShopName = "Ab",
            FirstAttemptTarget = "04:00:00",
            Sla = "1.00:00:00",
            PromisedCheckBefore = "1.00:00:00",
            CallbackBlocks = [.. Enumerable.Range(8, 12).Select(h => $"{h:00}:00")],
            RingGroup = Numbers(10),
            TalkTracks = new TalkTracks(new string('a', 2000), "{customer} {csr} {shop}", "x"),
        });

        Assert.Equal(0, saved.Version);
        Assert.Equal(Numbers(10), saved.RingGroup);
        Assert.Equal("04:00:00", saved.FirstAttemptTarget);
        Assert.Equal("1.00:00:00", saved.Sla);
        Assert.Equal("1.00:00:00", saved.PromisedCheckBefore);
    }

    [Theory]
    [InlineData("Acme Auto")]
    [InlineData("Main Street Aut")]
    [InlineData("a name of exactly forty characters, ok!!")]
    public void Validate_ShopNamesThatFitTheSmsAndTheField_AreAccepted(string shopName)
    {
        var template = shopName.Length > 15 ? "{shop}: we missed your call. Reply STOP to opt out." : Template;

        Assert.Equal(shopName, Saved(Valid() with { ShopName = shopName, SmsTemplate = template }).ShopName);
    }

    [Fact]
    public void Validate_Valid_StoresTheNormalizedDocument()
    {
        var document = Valid() with
        {
            ShopName = "  Acme Auto ",
            OpenHours = new Dictionary<string, string?> { ["MONDAY"] = " 08:00 - 18:00 ", ["Saturday"] = "09:00-13:00", ["sunday"] = null },
            RingGroup = ["(312) 555-0101", "+1 312 555 0101", "312.555.0102"],
            FirstAttemptTarget = "0:05:00",
            Sla = "0:15:00",
            PromisedCheckBefore = "0:30:00",
        };

        var saved = Saved(document);

        Assert.Equal(document with
        {
            UpdatedAt = null,
            UpdatedBy = null,
            ShopName = "Acme Auto",
            OpenHours = saved.OpenHours,
            RingGroup = saved.RingGroup,
            FirstAttemptTarget = "00:05:00",
            Sla = "00:15:00",
            PromisedCheckBefore = "00:30:00",
        }, saved);
        Assert.Equal(Week, saved.OpenHours!.Keys);
        Assert.Equal(["08:00-18:00", null, null, null, null, "09:00-13:00", null], saved.OpenHours.Values);
        Assert.Equal(["+13125550101", "+13125550102"], saved.RingGroup);
    }

    [Fact]
    public void Validate_UsTestNumbers_CountAsUs()
    {
        Assert.Equal(["+15555550100"], Saved(Valid() with { RingGroup = ["+1 555 555 0100"] }).RingGroup);
    }

    [Fact]
    public void Validate_RingGroupCountries_WidenWhereNumbersMayBe()
    {
        var canadian = Valid() with { RingGroup = ["+1 204 234 5678", "+13125550101"] };

        Assert.Equal(["+12042345678", "+13125550101"], Saved(canadian, countries: ["US", "ca"]).RingGroup);
        Assert.Equal(
            ["'+44 20 7946 0018' is a number in GB; the ring group takes numbers in US, ca (Recovery:RingGroupCountries allows more)."],
            ErrorsOf(Valid() with { RingGroup = ["+44 20 7946 0018"] }, countries: ["US", "ca"])["ringGroup"]);
        Assert.Equal(
            ["'+1 204 234 5678' is a number in CA; the ring group takes numbers in US (Recovery:RingGroupCountries allows more)."],
            ErrorsOf(canadian, countries: [])["ringGroup"]);
    }

    [Fact]
    public void Validate_AnotherRegion_ReadsNationalNumbersThereAndKeepsTheRingGroupThere()
    {
        Assert.Equal(["+442079460018"], Saved(Valid() with { RingGroup = ["020 7946 0018"] }, region: "GB").RingGroup);
        Assert.Equal(
            ["'+13125550101' is a number in US; the ring group takes numbers in GB (Recovery:RingGroupCountries allows more)."],
            ErrorsOf(Valid(), region: "GB")["ringGroup"]);
    }

    [Fact]
    public void Constructor_TakesTheDefaultsFromConfiguration()
    {
        var settings = NewSettings(
            r =>
            {
                r.ShopName = "Acme Auto";
                r.CallbackBlocks = ["14:00", "09:30"];
                r.PromisedCheckBefore = TimeSpan.FromMinutes(45);
            },
            b =>
            {
                b.TimeZone = "America/Denver";
                b.OpenHours = Hours(("MONDAY", "07:00-15:00"), ("Saturday", "10:00-12:00"));
            },
            ringGroup: ["(312) 555-0101", "not a number "]);

        var current = settings.Current;

        Assert.Equal(0, current.Version);
        Assert.Null(current.UpdatedAt);
        Assert.Null(current.UpdatedBy);
        Assert.Equal("Acme Auto", current.ShopName);
        Assert.Equal("America/Denver", current.TimeZone);
        Assert.Equal("America/Denver", current.Week.Zone.Id);
        Assert.Equal(Week, current.OpenHours.Keys);
        Assert.Equal(["07:00-15:00", null, null, null, null, "10:00-12:00", null], current.OpenHours.Values);
        Assert.True(current.Week.IsOpen(At("2026-03-02T07:00-07:00")));
        Assert.False(current.Week.IsOpen(At("2026-03-03T07:00-07:00")));
        Assert.Equal(["+13125550101", "not a number"], current.RingGroup);
        Assert.Equal(TimeSpan.FromMinutes(5), current.FirstAttemptTarget);
        Assert.Equal(TimeSpan.FromMinutes(15), current.Sla);
        Assert.Equal(new LocalTime(8, 30), current.AfterHoursFirstAttemptBy);
        Assert.Equal(TimeSpan.FromMinutes(45), current.PromisedCheckBefore);
        Assert.Equal([new LocalTime(9, 30), new LocalTime(14, 0)], current.CallbackBlocks);
        Assert.Equal(new RecoveryOptions().SmsTemplate, current.SmsTemplate);
        Assert.Equal(new TalkTracks(ShopSettings.DefaultCallTrack, ShopSettings.DefaultVoicemailTrack, ShopSettings.DefaultFollowUpTrack), current.TalkTracks);
    }

    [Fact]
    public void Constructor_PutsTheConfiguredWeekInTheCalendar()
    {
        var calendar = new ShopCalendar(Options.Create(new BusinessOptions()));
        var business = new BusinessOptions { TimeZone = "Europe/Berlin" };
        var settings = new ShopSettings(
            Options.Create(new RecoveryOptions()), Options.Create(business),
            new ConfigurationBuilder().Build(), calendar);

        Assert.Same(settings.Current.Week, calendar.Current);
        Assert.Equal("Europe/Berlin", calendar.Zone.Id);
    }

    [Fact]
    public void Constructor_AnUnreadableAfterHoursMark_Falls_BackTo0830() =>
        Assert.Equal(new LocalTime(8, 30), NewSettings(r => r.AfterHoursFirstAttemptBy = "half past eight").Current.AfterHoursFirstAttemptBy);

    [Fact]
    public void Constructor_NullArguments_Throw()
    {
        var recovery = Options.Create(new RecoveryOptions());
        var business = Options.Create(new BusinessOptions());
        var configuration = new ConfigurationBuilder().Build();
        var calendar = new ShopCalendar(business);

        Assert.Throws<ArgumentNullException>(() => new ShopSettings(null!, business, configuration, calendar));
        Assert.Throws<ArgumentNullException>(() => new ShopSettings(recovery, null!, configuration, calendar));
        Assert.Throws<ArgumentNullException>(() => new ShopSettings(recovery, business, null!, calendar));
    }

    [Fact]
    public void Apply_ANewerVersion_OverlaysTheSavedFieldsAndMovesTheCalendar()
    {
        var settings = NewSettings();
        var saved = new ShopSettingsDocument(
            7, null, null, "Acme Auto", "America/New_York", new Dictionary<string, string?> { ["Sunday"] = "10:00-11:00" }, ["+13125550101"],
            "00:02:00", "00:20:00", "09:00", "01:00:00", ["16:00", "bad", "09:00"], "{shop} Reply STOP", new TalkTracks("Call {csr}", null, null));

        Assert.True(settings.Apply(7, saved, "manager@shop", At("2026-03-01T12:00Z")));

        var current = settings.Current;
        Assert.Equal(7, current.Version);
        Assert.Equal("manager@shop", current.UpdatedBy);
        Assert.Equal(At("2026-03-01T12:00Z"), current.UpdatedAt);
        Assert.Equal("Acme Auto", current.ShopName);
        Assert.Equal("America/New_York", current.TimeZone);
        Assert.Equal(["10:00-11:00"], current.OpenHours.Values.OfType<string>());
        Assert.Equal("10:00-11:00", current.OpenHours["sunday"]);
        Assert.True(current.Week.IsOpen(At("2026-03-08T10:30-04:00")));
        Assert.Equal(["+13125550101"], current.RingGroup);
        Assert.Equal(TimeSpan.FromMinutes(2), current.FirstAttemptTarget);
        Assert.Equal(TimeSpan.FromMinutes(20), current.Sla);
        Assert.Equal(new LocalTime(9, 0), current.AfterHoursFirstAttemptBy);
        Assert.Equal(TimeSpan.FromHours(1), current.PromisedCheckBefore);
        // An unreadable block is kept as noon; the blocks are in order.
        Assert.Equal([new LocalTime(9, 0), LocalTime.Noon, new LocalTime(16, 0)], current.CallbackBlocks);
        Assert.Equal("{shop} Reply STOP", current.SmsTemplate);
        Assert.Equal(new TalkTracks("Call {csr}", ShopSettings.DefaultVoicemailTrack, ShopSettings.DefaultFollowUpTrack), current.TalkTracks);
    }

    [Fact]
    public void Apply_PutsTheSavedWeekInTheShopsCalendar_AndEachTalkTrackOnItsOwn()
    {
        var calendar = new ShopCalendar(Options.Create(new BusinessOptions()));
        var settings = new ShopSettings(Options.Create(new RecoveryOptions()), Options.Create(new BusinessOptions()), new ConfigurationBuilder().Build(), calendar);

        Assert.True(settings.Apply(1, Valid() with { TimeZone = "Europe/Berlin", TalkTracks = new TalkTracks(null, "Voicemail {csr}", "Follow up {shop}") }, "m", null));

        Assert.Same(settings.Current.Week, calendar.Current);
        Assert.Equal("Europe/Berlin", calendar.Zone.Id);
        Assert.Equal(new TalkTracks(ShopSettings.DefaultCallTrack, "Voicemail {csr}", "Follow up {shop}"), settings.Current.TalkTracks);
    }

    [Fact]
    public void Apply_ASavedRowWithoutFields_KeepsTheConfigurationDefaults()
    {
        var settings = NewSettings(r => r.ShopName = "Acme Auto", ringGroup: ["+13125550101"]);
        var defaults = settings.Current;

        Assert.True(settings.Apply(2, null, null, null));
        AssertDefaults(defaults with { Version = 2 }, settings.Current);

        var blank = new ShopSettingsDocument(3, null, null, null, null, null, null, "not a duration", null, "25:00", null, null, null, new TalkTracks(null, null, null));
        Assert.True(settings.Apply(3, blank, "m", null));
        AssertDefaults(defaults with { Version = 3, UpdatedBy = "m" }, settings.Current);
    }

    private static void AssertDefaults(EffectiveSettings expected, EffectiveSettings actual)
    {
        // Note: each overlay builds its own hours, blocks and week, so those are compared by content.
        Assert.Equal(expected.OpenHours, actual.OpenHours);
        Assert.Equal(expected.CallbackBlocks, actual.CallbackBlocks);
        Assert.Equal(expected.Week.Zone, actual.Week.Zone);
        Assert.Equal(expected, actual with { OpenHours = expected.OpenHours, CallbackBlocks = expected.CallbackBlocks, Week = expected.Week });
    }

    [Theory]
    [InlineData(5, false)]
    [InlineData(4, false)]
    [InlineData(6, true)]
    public void Apply_OnlyANewerVersion_ChangesAnything(long version, bool applied)
    {
        var settings = NewSettings();
        Assert.True(settings.Apply(5, Valid() with { ShopName = "Five" }, "m", null));
        var calendarWeek = settings.Current.Week;

        Assert.Equal(applied, settings.Apply(version, Valid() with { ShopName = "Other", TimeZone = "Europe/Berlin" }, "n", null));

        Assert.Equal(applied ? "Other" : "Five", settings.Current.ShopName);
        Assert.Equal(applied ? version : 5, settings.Current.Version);
        Assert.Equal(applied ? "Europe/Berlin" : "America/Chicago", settings.Current.Week.Zone.Id);
        Assert.Equal(applied, !ReferenceEquals(calendarWeek, settings.Current.Week));
    }

    [Fact]
    public void Apply_Version0_IsNotNewerThanConfiguration() => Assert.False(NewSettings().Apply(0, Valid(), "m", null));

    [Fact]
    public void Loaded_CompletesOnceMarked_AndMarkingTwiceIsHarmless()
    {
        var settings = NewSettings();
        Assert.False(settings.Loaded.IsCompleted);

        settings.MarkLoaded();
        settings.MarkLoaded();

        Assert.True(settings.Loaded.IsCompletedSuccessfully);
    }

    [Fact]
    public void ToDocument_WritesTheSettingsInForceAsTheApiShowsThem()
    {
        var settings = NewSettings();
        settings.Apply(4, Valid() with { Sla = "1.00:00:00", AfterHoursFirstAttemptBy = "07:45" }, "m", At("2026-03-01T12:00Z"));

        var document = settings.Current.ToDocument();

        Assert.Equal(
            Valid() with
            {
                Version = 4,
                UpdatedAt = At("2026-03-01T12:00Z"),
                UpdatedBy = "m",
                OpenHours = document.OpenHours,
                RingGroup = document.RingGroup,
                CallbackBlocks = document.CallbackBlocks,
                Sla = "1.00:00:00",
                AfterHoursFirstAttemptBy = "07:45",
                FallbackOwners = FallbackOwners.None,
                EmergencyPhrases = document.EmergencyPhrases,
                EmergencyFirstAttemptTarget = "00:02:00",
                EmergencySla = "00:05:00",
            },
            document);
        Assert.Equal(EmergencyRules.DefaultPhrases, document.EmergencyPhrases);
        Assert.Equal(Valid().OpenHours, document.OpenHours);
        Assert.Equal(["+13125550101"], document.RingGroup);
        Assert.Equal(["10:00", "14:00"], document.CallbackBlocks);
    }

    [Fact]
    public void ForReader_ACsr_SeesTheRingGroupMasked()
    {
        var document = Valid() with { RingGroup = ["+13125550101", "+13125550199"] };

        Assert.Same(document, ShopSettings.ForReader(document, seesPhoneNumbers: true));
        Assert.Equal(["***0101", "***0199"], ShopSettings.ForReader(document, seesPhoneNumbers: false).RingGroup);
        Assert.Equal(document with { RingGroup = null }, ShopSettings.ForReader(document, seesPhoneNumbers: false) with { RingGroup = null });
        Assert.Empty(ShopSettings.ForReader(document with { RingGroup = null }, seesPhoneNumbers: false).RingGroup!);
        Assert.Throws<ArgumentNullException>(() => ShopSettings.ForReader(null!, true));
    }

    [Theory]
    [InlineData("00:05:00", 300)]
    [InlineData("0:05:00", 300)]
    [InlineData("1.00:00:00", 86400)]
    [InlineData("-00:00:01", -1)]
    [InlineData("5", 432000)]
    public void ParseDuration_TheInvariantConstantFormat(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), ShopSettings.ParseDuration(text));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("5 minutes")]
    [InlineData("00:60:00")]
    [InlineData("00,05,00")]
    public void ParseDuration_NotADuration_IsNull(string? text) => Assert.Null(ShopSettings.ParseDuration(text));

    [Theory]
    [InlineData(300, "00:05:00")]
    [InlineData(86400, "1.00:00:00")]
    [InlineData(5400, "01:30:00")]
    public void FormatDuration_TheInvariantConstantFormat(int seconds, string text) =>
        Assert.Equal(text, ShopSettings.FormatDuration(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData("08:30", 8, 30)]
    [InlineData("23:59", 23, 59)]
    public void ParseTime_HHmm(string text, int hour, int minute) => Assert.Equal(new LocalTime(hour, minute), ShopSettings.ParseTime(text));

    [Theory]
    [InlineData(null)]
    [InlineData("8:30")]
    [InlineData("half past eight")]
    public void ParseTime_NotHHmm_IsNull(string? text) => Assert.Null(ShopSettings.ParseTime(text));

    [Fact]
    public void FormatTime_HHmm() => Assert.Equal("07:05", ShopSettings.FormatTime(new LocalTime(7, 5, 59)));
}
