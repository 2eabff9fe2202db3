using System.Diagnostics;
using Microsoft.Playwright;

namespace RecoveryComms.Orchestrator.Tests.Console;

/// <summary>The browser tests: one collection, so they share one Chromium and run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class InChromium : ICollectionFixture<ConsoleBrowser>
{
    public const string Name = "Console in Chromium";
}

/// <summary>
/// One headless Chromium for the console's tests: Debian's <c>chromium</c> (or <c>RECOVERYCOMMS_CHROMIUM</c>), driven by
/// the Playwright driver that ships inside the NuGet package. Playwright's own browser download is never used.
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    public const string ChromiumVariable = "RECOVERYCOMMS_CHROMIUM";

    public static readonly ViewportSize Desktop = new() { Width = 1366, Height = 768 };
    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>How long starting Playwright's driver and Chromium took (reported by the smoke tests).</summary>
    public TimeSpan LaunchTime { get; private set; }

    public async Task InitializeAsync()
    {
        var chromium = FindChromium();
        var started = Stopwatch.StartNew();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        LaunchTime = started.Elapsed;
    }

    /// <summary>
    /// A fresh context (no cookies, no storage) and page at <paramref name="viewport"/> (desktop by default), watched; the
    /// browser's own zone is <paramref name="timezoneId"/> (an IANA name) when given, else the machine's.
    /// </summary>
    public async Task<ConsolePage> OpenAsync(Uri orchestrator, ViewportSize? viewport = null, string? timezoneId = null)
    {
        ArgumentNullException.ThrowIfNull(orchestrator);
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = viewport ?? Desktop, BaseURL = orchestrator.ToString(), TimezoneId = timezoneId,
        });
        // Note: Playwright's default of 30 s per action makes a missing element slow to report; the console answers in
        // well under a second on loopback, so 10 s is generous even on a loaded two-core machine.
        context.SetDefaultTimeout(10_000);
        return new ConsolePage(context, await context.NewPageAsync(), orchestrator);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
    }

    /// <summary><c>RECOVERYCOMMS_CHROMIUM</c>, else <c>chromium</c> on the PATH; a missing browser fails the tests, never skips them.</summary>
    private static string FindChromium()
    {
        const string HowToInstall = "'./infra/dev.sh test' installs it when missing (or: apt-get install chromium).";
        var configured = Environment.GetEnvironmentVariable(ChromiumVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{ChromiumVariable} is set to '{configured}', which does not exist. {HowToInstall}");
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "chromium"))
            .FirstOrDefault(File.Exists);
        return onPath ?? throw new InvalidOperationException(
            $"The console's browser tests need Chromium: {ChromiumVariable} is unset and no 'chromium' is on the PATH. {HowToInstall}");
    }
}
