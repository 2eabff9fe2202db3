using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace RecoveryComms.Orchestrator.Tests.Console;

/// <summary>
/// One browser context and its page on the console, with everything that went wrong recorded as it happens: console
/// errors, uncaught exceptions, requests that failed or were answered 4xx/5xx, and every URL the page asked for.
/// </summary>
public sealed class ConsolePage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly ConcurrentQueue<string> _consoleErrors = new();
    private readonly ConcurrentQueue<string> _failedRequests = new();
    private readonly ConcurrentQueue<string> _errorResponses = new();
    private readonly ConcurrentQueue<string> _requests = new();

    internal ConsolePage(IBrowserContext context, IPage page, Uri orchestrator)
    {
        _context = context;
        Page = page;
        Orchestrator = orchestrator;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _consoleErrors.Enqueue($"{message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => _consoleErrors.Enqueue($"uncaught: {error}");
        // Note: the network is watched on the context, so requests of workers and popups count as the page's own.
        context.Request += (_, request) => _requests.Enqueue(request.Url);
        context.RequestFailed += (_, request) => _failedRequests.Enqueue($"{request.Method} {request.Url}: {request.Failure}");
        context.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                _errorResponses.Enqueue($"{response.Request.Method} {response.Url} → {response.Status}");
            }
        };
    }

    public IPage Page { get; }

    public Uri Orchestrator { get; }

    /// <summary>Console messages of type error and uncaught exceptions (Chromium also logs CSP violations here).</summary>
    public IReadOnlyList<string> ConsoleErrors => [.. _consoleErrors];

    /// <summary>Requests that got no answer: refused, aborted, blocked.</summary>
    public IReadOnlyList<string> FailedRequests => [.. _failedRequests];

    /// <summary>Requests answered with a 4xx or 5xx status.</summary>
    public IReadOnlyList<string> ErrorResponses => [.. _errorResponses];

    /// <summary>Every URL the page requested, in order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>Requests to anywhere but the orchestrator (data: and blob: URLs are the page's own bytes, not a request out).</summary>
    public IReadOnlyList<string> ForeignRequests => _requests.Where(url => !IsOwn(url)).ToList();

    /// <summary>Goes to <paramref name="path"/> and waits until the network has been idle (the page's first API calls done).</summary>
    public Task<IResponse?> GotoAsync(string path = "/") =>
        Page.GotoAsync(new Uri(Orchestrator, path).ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });

    /// <summary>Fails with everything recorded when the page logged an error, lost or was refused a request, or left the orchestrator.</summary>
    public void AssertHealthy()
    {
        var problems = ConsoleErrors.Select(e => "console: " + e)
            .Concat(FailedRequests.Select(r => "failed: " + r))
            .Concat(ErrorResponses.Select(r => "answered: " + r))
            .Concat(ForeignRequests.Select(r => "foreign origin: " + r))
            .ToList();
        Assert.True(problems.Count == 0, "The page was not healthy:\n" + string.Join('\n', problems));
    }

    /// <summary>A full-page PNG at <c>artifacts/screenshots/&lt;name&gt;.png</c> under the repository root.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var path = Path.Combine(RepositoryRoot(), "artifacts", "screenshots", name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public ValueTask DisposeAsync() => new(_context.CloseAsync());

    private bool IsOwn(string url)
    {
        if (url.StartsWith("data:", StringComparison.Ordinal) || url.StartsWith("blob:", StringComparison.Ordinal))
        {
            return true;
        }

        return Uri.Compare(new Uri(url), Orchestrator, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
    }

    /// <summary>The folder holding RecoveryComms.sln, above the test assembly.</summary>
    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "RecoveryComms.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No RecoveryComms.sln above {AppContext.BaseDirectory}.");
    }
}
