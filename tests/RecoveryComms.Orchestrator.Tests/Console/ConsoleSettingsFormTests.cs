using System.Text.Json;
using Microsoft.Playwright;
using RecoveryComms.Orchestrator.Tests.Queue;
using static Microsoft.Playwright.Assertions;

namespace RecoveryComms.Orchestrator.Tests.Console;

/// <summary>
/// A manager fills the settings without knowing the API's formats: the loop's windows in minutes, the zone from a
/// list, opening hours as times; and the queue names its marks by the windows saved. (Its own host: the shop's
/// settings change here, and the other classes' countdowns count on the defaults.)
/// </summary>
[Collection(InChromium.Name)]
public sealed class ConsoleSettingsFormTests(ConsoleBrowser browser, ConsoleHost host) : IClassFixture<ConsoleHost>
{
    private static ILocator Exactly(IPage page, string label) => page.GetByLabel(label, new() { Exact = true });

    [Fact]
    public async Task AManager_SetsMinutes_AZoneFromTheList_AndHoursAsTimes_AndTheQueueNamesItsMarksByThem()
    {
        var manager = await host.UserAsync("manager");
        var csr = await host.UserAsync("csr");
        await using (var console = await browser.SignInAsync(host, manager))
        {
            var page = console.Page;
            await page.GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
            var backup = Exactly(page, "Backup takes over after (minutes)");
            var escalate = Exactly(page, "Escalate to the manager after (minutes)");
            await Expect(backup).ToHaveValueAsync("5");
            await Expect(escalate).ToHaveValueAsync("15");
            await Expect(Exactly(page, "Time zone")).ToHaveValueAsync("America/Chicago");
            await Expect(Exactly(page, "Monday opens")).ToHaveValueAsync("08:00");
            await Expect(Exactly(page, "Sunday")).Not.ToBeCheckedAsync();

            await backup.FillAsync("10");
            await escalate.FillAsync("30");
            await Exactly(page, "Time zone").SelectOptionAsync("America/Denver");
            await Exactly(page, "Saturday").UncheckAsync();
            await Exactly(page, "Sunday").CheckAsync();
            await Exactly(page, "Sunday opens").FillAsync("10:00");
            await Exactly(page, "Sunday closes").FillAsync("14:00");
            await page.GetByLabel("Phones that ring for incoming calls (one per line)").FillAsync("(312) 555-0177");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync();

            await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasTextString = "Settings saved." })).ToBeVisibleAsync();
            await Expect(backup).ToHaveValueAsync("10");
            await console.ScreenshotAsync("settings-form");
            console.AssertHealthy();
        }

        var saved = await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(manager, HttpMethod.Get, "/api/settings"));
        Assert.Equal(("00:10:00", "00:30:00", "America/Denver"),
            (saved.GetProperty("firstAttemptTarget").GetString(), saved.GetProperty("sla").GetString(), saved.GetProperty("timeZone").GetString()));
        var hours = saved.GetProperty("openHours");
        Assert.Equal((JsonValueKind.Null, "10:00-14:00", "08:00-18:00"),
            (hours.GetProperty("saturday").ValueKind, hours.GetProperty("sunday").GetString(), hours.GetProperty("monday").GetString()));

        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        await host.ItemOfAsync(csr, phone);
        await using var queue = await browser.SignInAsync(host, csr);
        var row = queue.Page.Locator($"tr[data-phone='{phone}']");
        await Expect(row.Locator(".countdown")).ToHaveTextAsync("10:00 to 10-min mark");
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(queue.Page.Locator("article.item .history")).ToContainTextAsync("Nov 24, 9:00 AM MST — Missed call");
        queue.AssertHealthy();
    }
}
