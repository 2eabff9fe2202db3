using System.Diagnostics;
using System.Net;
using Microsoft.Playwright;
using RecoveryComms.Orchestrator.Tests.Queue;
using Xunit.Abstractions;

namespace RecoveryComms.Orchestrator.Tests.Console;

/// <summary>
/// What holds whatever the console shows: it is served from the orchestrator with a strict policy, its assets need no
/// key while the API does, and it loads in Chromium without an error and without reaching any other origin.
/// </summary>
[Collection(InChromium.Name)]
public sealed class ConsoleSmokeTests(ConsoleBrowser browser, ConsoleHost host, ITestOutputHelper output) : IClassFixture<ConsoleHost>
{
    [Fact]
    public async Task Root_IsHtml_WithAStrictPolicy()
    {
        using var response = await host.Orchestrator.GetAsync(new Uri(host.OrchestratorUrl, "/"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'self'", string.Join(';', response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Theory]
    [InlineData("/app.css", "text/css")]
    [InlineData("/js/app.js", "text/javascript")]
    public async Task Assets_WithoutAKey_AreServed(string path, string mediaType)
    {
        using var response = await host.Orchestrator.GetAsync(new Uri(host.OrchestratorUrl, path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Api_WithoutAKey_IsUnauthorized()
    {
        using var response = await host.Orchestrator.GetAsync(new Uri(host.OrchestratorUrl, "/api/recoveries"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Page_InChromium_LoadsWithoutErrors_AndStaysOnItsOrigin()
    {
        var started = Stopwatch.StartNew();
        await using var console = await browser.OpenAsync(host.OrchestratorUrl);
        var response = await console.GotoAsync();
        output.WriteLine($"Chromium launch {browser.LaunchTime.TotalMilliseconds:F0} ms; first context + page load {started.ElapsedMilliseconds} ms");

        Assert.Equal(200, response?.Status);
        Assert.Contains(console.Requests, url => url.EndsWith("/js/app.js", StringComparison.Ordinal));
        Assert.Contains(console.Requests, url => url.EndsWith("/app.css", StringComparison.Ordinal));
        await console.ScreenshotAsync("sign-in");
        console.AssertHealthy();
    }

    [Fact]
    public async Task Page_OnAPhone_LoadsWithoutErrors()
    {
        await using var console = await browser.OpenAsync(host.OrchestratorUrl, ConsoleBrowser.Phone);
        await console.GotoAsync();

        await console.ScreenshotAsync("sign-in-phone");
        console.AssertHealthy();
    }

    [Fact]
    public async Task SignIn_WithACsrKey_ShowsTheQueue()
    {
        var csr = await host.UserAsync("csr");
        await using var console = await browser.OpenAsync(host.OrchestratorUrl);
        await console.GotoAsync();

        await console.Page.GetByLabel("API key").FillAsync(csr.ApiKey);
        await console.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        // Expectation: the signed-in console offers a navigation link named "Queue" (adjust to the page as built).
        await Assertions.Expect(console.Page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Queue" })).ToBeVisibleAsync();
        console.AssertHealthy();
    }
}
