using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RecoveryComms.Orchestrator.Tests.Queue;
using Xunit.Abstractions;

namespace RecoveryComms.Orchestrator.Tests.Console;

/// <summary>
/// What holds whatever the console shows: it is served from the orchestrator with a strict policy, its assets need no
/// key while the API does, its modules import one another without a cycle, and it loads in Chromium without an error
/// and without reaching any other origin.
/// </summary>
[Collection(InChromium.Name)]
public sealed partial class ConsoleSmokeTests(ConsoleBrowser browser, ConsoleHost host, ITestOutputHelper output) : IClassFixture<ConsoleHost>
{
    [GeneratedRegex("""^import\s[^;]*?from\s+"(\.{1,2}/[^"]+)";""", RegexOptions.Multiline)]
    private static partial Regex RelativeImport();

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
    public async Task Modules_FromTheEntryPoint_AreAllServed_AndNoneImportsBackIntoItself()
    {
        var imports = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var waiting = new Queue<string>(["/js/app.js"]);
        while (waiting.TryDequeue(out var path))
        {
            if (imports.ContainsKey(path))
            {
                continue;
            }

            using var response = await host.Orchestrator.GetAsync(new Uri(host.OrchestratorUrl, path));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} is imported but answers {response.StatusCode}");
            var module = new Uri(host.OrchestratorUrl, path);
            imports[path] = RelativeImport().Matches(await response.Content.ReadAsStringAsync())
                .Select(match => new Uri(module, match.Groups[1].Value).AbsolutePath).ToList();
            foreach (var next in imports[path])
            {
                waiting.Enqueue(next);
            }
        }

        output.WriteLine($"{imports.Count} modules: {string.Join(", ", imports.Keys.Order(StringComparer.Ordinal))}");
        Assert.Contains("/js/item/panel.js", imports.Keys);
        Assert.Null(Cycle(imports));
    }

    /// <summary>A chain of imports that comes back to where it started ("a → b → a"), or null when there is none.</summary>
    private static string? Cycle(Dictionary<string, IReadOnlyList<string>> imports)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<string>();
        string? Visit(string module)
        {
            if (path.Contains(module))
            {
                return string.Join(" → ", path.SkipWhile(m => m != module).Append(module));
            }

            if (!done.Add(module))
            {
                return null;
            }

            path.Add(module);
            var found = imports[module].Select(Visit).FirstOrDefault(cycle => cycle is not null);
            path.RemoveAt(path.Count - 1);
            return found;
        }

        return imports.Keys.Select(Visit).FirstOrDefault(cycle => cycle is not null);
    }

    [Fact]
    public async Task ShopRoute_AnswersEveryStaffRole_WithTheShopsZone_AndNoOneWithoutAKey()
    {
        using var anonymous = await host.Orchestrator.GetAsync(new Uri(host.OrchestratorUrl, "/api/console/shop"));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        foreach (var role in new[] { "csr", "manager", "admin", "compliance" })
        {
            var user = await host.UserAsync(role);
            using var answer = await host.SendAsync(user, HttpMethod.Get, "/api/console/shop");
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var shop = await answer.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(("America/Chicago", "Acme Plumbing"), (shop.GetProperty("timeZone").GetString(), shop.GetProperty("shopName").GetString()));
        }

        var integration = await host.UserAsync("integration");
        using var refused = await host.SendAsync(integration, HttpMethod.Get, "/api/console/shop");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
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
