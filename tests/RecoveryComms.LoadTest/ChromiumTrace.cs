using System.Text.Json;
using Microsoft.Playwright;

namespace RecoveryComms.LoadTest;

/// <summary>
/// A Chromium performance trace over the DevTools protocol (Tracing.start / Tracing.end on the browser's session),
/// written as a JSON trace that chrome://tracing or ui.perfetto.dev opens.
/// </summary>
internal sealed class ChromiumTrace
{
    private static readonly string[] Categories =
        ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "v8", "blink.user_timing"];

    private readonly ICDPSession _session;
    private readonly List<JsonElement> _events = [];
    private readonly TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChromiumTrace(ICDPSession session)
    {
        _session = session;
        session.Event("Tracing.dataCollected").OnEvent += (_, data) =>
        {
            lock (_events)
            {
                _events.AddRange(data!.Value.GetProperty("value").EnumerateArray().Select(e => e.Clone()));
            }
        };
        session.Event("Tracing.tracingComplete").OnEvent += (_, _) => _complete.TrySetResult();
    }

    public static async Task<ChromiumTrace> StartAsync(IBrowser browser)
    {
        var trace = new ChromiumTrace(await browser.NewBrowserCDPSessionAsync());
        await trace._session.SendAsync("Tracing.start", new()
        {
            ["traceConfig"] = new Dictionary<string, object> { ["includedCategories"] = Categories },
            ["transferMode"] = "ReportEvents",
        });
        return trace;
    }

    /// <summary>Ends the trace and writes it to <paramref name="path"/>.</summary>
    public async Task StopAsync(string path)
    {
        await _session.SendAsync("Tracing.end");
        await _complete.Task.WaitAsync(TimeSpan.FromMinutes(2));
        await _session.DetachAsync();
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, new { traceEvents = _events });
    }
}
