using System.Net;
using Microsoft.Playwright;
using RecoveryComms.Orchestrator.Tests.Queue;
using RecoveryComms.Testing;
using static Microsoft.Playwright.Assertions;

namespace RecoveryComms.Orchestrator.Tests.Console;

/// <summary>
/// What the console says, read as a CSR or a manager reads it: every time in the shop's zone with the zone's name,
/// whatever zone the browser is in; a ringing phone spoken of as the caller's own only to the CSR who placed the call;
/// outcomes, reasons and refusals in words, never as codes; a countdown of a day as hours and minutes; and no
/// configuration key on the scorecard.
/// </summary>
[Collection(InChromium.Name)]
public sealed class ConsoleReadingTests(ConsoleBrowser browser, ConsoleHost host) : IClassFixture<ConsoleHost>
{
    /// <summary>Tuesday 03:00 in Chicago: the shop opens at 08:00.</summary>
    private static readonly DateTimeOffset TuesdayNight = LoopHost.TuesdayMorning.AddHours(-7);

    private static async Task OpenItemAsync(ConsolePage console, Guid id)
    {
        await console.Page.EvaluateAsync($"location.hash = '#/queue/open/{id}'");
        await Expect(console.Page.Locator($"article.item[data-item-id='{id}'] .item-header h2")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task AnAfterHoursCall_InABrowserInTokyo_ShowsItsClockStart_InShopTime_WithTheZone()
    {
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone, at: TuesdayNight, afterHours: true);
        var id = (await host.ItemOfAsync(csr, phone)).GetProperty("id").GetGuid();
        await using var console = await browser.SignInAsync(host, csr, timezoneId: "Asia/Tokyo", at: TuesdayNight.AddHours(1));

        Assert.Equal("Asia/Tokyo", await console.Page.EvaluateAsync<string>("Intl.DateTimeFormat().resolvedOptions().timeZone"));
        await Expect(console.Page.Locator($"tr[data-phone='{phone}'] .countdown")).ToHaveTextAsync("clock starts 8:00 AM CST");
        await OpenItemAsync(console, id);
        await Expect(console.Page.Locator("article.item .history")).ToContainTextAsync("Nov 24, 3:00 AM CST — Missed call");
        await Expect(console.Page.Locator("article.item .countdown")).ToHaveTextAsync("clock starts 8:00 AM CST");
        console.AssertHealthy();
    }

    [Fact]
    public async Task AComplianceUser_InAnotherZone_ReadsConsentTimes_InShopTime()
    {
        var compliance = await host.UserAsync("compliance");
        await host.KnownToConsentAsync(compliance);
        var phone = LoopHost.NewPhone();
        await host.RecordConsentAsync(phone);
        await using var console = await browser.SignInAsync(host, compliance, timezoneId: "Europe/Berlin");

        await console.Page.GetByLabel("Phone number").FillAsync(phone);
        await console.Page.GetByRole(AriaRole.Button, new() { Name = "Look up" }).ClickAsync();

        await Expect(console.Page.Locator(".consent-view [data-channel=sms]")).ToContainTextAsync("since Nov 24, 10:00 AM CST");
        console.AssertHealthy();
    }

    [Fact]
    public async Task ACallRinging_AsksOnlyTheCsrWhoPlacedIt_ToAnswer()
    {
        var (owner, _, id) = await host.ClaimedItemAsync();
        var colleague = await host.UserAsync("csr");
        Assert.Equal(HttpStatusCode.Accepted, (await host.SendAsync(owner, HttpMethod.Post, $"/api/recoveries/{id}/call")).StatusCode);
        await Eventually.ValueAsync(async () => (await host.DetailAsync(owner, id)).GetProperty("callAttempts")[0].GetProperty("result").GetString(),
            result => result == "ringing-csr", TimeSpan.FromSeconds(20), "the owner's phone rings");

        await using var mine = await browser.SignInAsync(host, owner);
        await OpenItemAsync(mine, id);
        await Expect(mine.Page.Locator("article.item .call-state")).ToContainTextAsync("Ringing your phone — answer it");

        await using var theirs = await browser.SignInAsync(host, colleague);
        await OpenItemAsync(theirs, id);
        var state = theirs.Page.Locator("article.item .call-state");
        await Expect(state).ToContainTextAsync($"Ringing {owner.Name}'s phone");
        await Expect(state).Not.ToContainTextAsync("your phone");
        await Expect(theirs.Page.Locator("article.item .history")).Not.ToContainTextAsync("answer it");
        mine.AssertHealthy();
        theirs.AssertHealthy();
    }

    [Fact]
    public async Task AnOutcome_AndItsReason_ShowAsTheirLabels_InTheHeaderAndTheTimeline()
    {
        var (csr, _, id) = await host.ClaimedItemAsync();
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{id}/disposition",
            new { outcome = "booked-job", reason = "price-shopper", note = "Thursday 9 am" })).StatusCode);
        await using var console = await browser.SignInAsync(host, csr);

        await OpenItemAsync(console, id);

        var item = console.Page.Locator("article.item");
        await Expect(item.Locator(".item-header .outcome")).ToHaveTextAsync("Outcome: Booked a job (Price shopper) — Thursday 9 am");
        var disposed = item.Locator("ol.timeline li", new() { HasTextString = "Outcome recorded" });
        await Expect(disposed).ToContainTextAsync("Booked a job (Price shopper): Thursday 9 am");
        foreach (var code in new[] { "booked-job", "price-shopper" })
        {
            await Expect(item).Not.ToContainTextAsync(code);
        }

        console.AssertHealthy();
    }

    [Fact]
    public async Task EverySuppressionCode_TheServerSends_ReadsAsItsOwnSentence()
    {
        // The consent service's policy and send gate, and the orchestrator's SMS route and preview (labels.js lists where).
        string[] codes = ["opted-out", "do-not-contact", "wrong-number", "spam", "a2p-not-registered", "no-consent", "quiet-hours", "zone-unknown",
            "anonymous", "invalid-number", "invalid-body", "twilio-not-found", "twilio-30007", "item-completed", "not-owner", "sms-already-sent",
            "sms-too-long", "cannot-call-back", "consent-unavailable"];
        var csr = await host.UserAsync("csr");
        await using var console = await browser.SignInAsync(host, csr);

        var labels = await console.Page.EvaluateAsync<string[]>(
            "async codes => { const { suppressionLabel } = await import('/js/labels.js'); return codes.map(suppressionLabel); }", codes);

        Assert.All(codes.Zip(labels), pair =>
        {
            Assert.DoesNotContain("Texting is not allowed:", pair.Second, StringComparison.Ordinal);
            Assert.False(pair.First.Contains('-', StringComparison.Ordinal) && pair.Second.Contains(pair.First, StringComparison.Ordinal), pair.Second);
        });
    }

    [Fact]
    public async Task APromisedCallback_DueInMoreThanADay_CountsDownInHoursAndMinutes()
    {
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();
        var due = host.Clock.Now + new TimeSpan(30, 25, 58);
        var created = await host.SendAsync(csr, HttpMethod.Post, "/api/callbacks", new { type = "promised-update", phone, dueAt = due });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await using var console = await browser.SignInAsync(host, csr);

        await Expect(console.Page.Locator($"tr[data-phone='{phone}'] .countdown")).ToHaveTextAsync("30 h 26 min due");
        console.AssertHealthy();
    }

    [Fact]
    public async Task TheScorecard_NamesTheAfterHoursDeadline_AsAShopTime_AndReasonsByTheirLabels_WithinItsCards()
    {
        var (csr, _, id) = await host.ClaimedItemAsync();
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{id}/disposition",
            new { outcome = "wrong-number", reason = "out-of-area" })).StatusCode);
        var manager = await host.UserAsync("manager");
        await using var console = await browser.SignInAsync(host, manager);

        await console.Page.GetByRole(AriaRole.Link, new() { Name = "Scorecard" }).ClickAsync();

        var afterHours = console.Page.Locator("[data-figure=afterHoursFirstAttemptOnTime]");
        await Expect(afterHours.Locator(".hint")).ToContainTextAsync("by 8:30 AM shop time");
        await Expect(console.Page.Locator(".scorecard")).Not.ToContainTextAsync("Recovery:");
        await Expect(console.Page.Locator(".scorecard ol.reasons")).ToContainTextAsync("Out of service area");
        await Expect(console.Page.Locator(".scorecard ol.reasons")).Not.ToContainTextAsync("out-of-area");
        var overflowing = await console.Page.EvaluateAsync<string[]>(
            "[...document.querySelectorAll('.figure, .figure p')].filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)");
        Assert.Empty(overflowing);
        console.AssertHealthy();
    }
}
