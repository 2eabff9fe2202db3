using Microsoft.Playwright;
using RecoveryComms.Orchestrator.Tests.Queue;
using static Microsoft.Playwright.Assertions;

namespace RecoveryComms.Orchestrator.Tests.Console;

/// <summary>Signing a user in to the console through its form, as a user does.</summary>
public static class ConsoleSignIn
{
    /// <summary>
    /// A page signed in as <paramref name="user"/>, its clock fixed at <paramref name="at"/> (by default the loop's test
    /// clock, so ages and countdowns read as in the shop), the browser in <paramref name="timezoneId"/> when given. Staff
    /// pages wait until the live feed is connected.
    /// </summary>
    public static async Task<ConsolePage> SignInAsync(
        this ConsoleBrowser browser, ConsoleHost host, LoopHost.User user, ViewportSize? viewport = null, string? timezoneId = null, DateTimeOffset? at = null)
    {
        ArgumentNullException.ThrowIfNull(browser);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(user);
        var console = await browser.OpenAsync(host.OrchestratorUrl, viewport, timezoneId);
        await console.Page.Clock.SetFixedTimeAsync((at ?? host.Clock.Now).UtcDateTime);
        await console.GotoAsync();
        await console.Page.GetByLabel("API key").FillAsync(user.ApiKey);
        await console.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        if (user.Role is "csr" or "manager" or "admin")
        {
            await Expect(console.Page.Locator(".stream-state")).ToHaveTextAsync("● Live");
        }

        return console;
    }
}
