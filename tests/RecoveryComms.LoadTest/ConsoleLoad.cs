using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using HdrHistogram;
using Microsoft.Playwright;
using RecoveryComms.Telephony.Signatures;

namespace RecoveryComms.LoadTest;

/// <summary>
/// The console's two figures (docs/benchmarks.md), in Debian's Chromium driven by Playwright:
/// <list type="bullet">
/// <item>queue page: with N open items (seeded as signed missed-call webhooks), each load of a fresh page already
/// signed in: navigation start → rows rendered (<c>rc:queue-ready</c>), → a click on the first row's link opened the
/// item panel with its detail, and the long tasks on the way;</item>
/// <item>live: the page open and Live, signed missed-call webhooks at a fixed rate (open loop), each a new caller;
/// a MutationObserver injected into the page records when each caller's row is inserted and the next frame after it
/// (when the row has been painted). Latency = that time − the webhook's scheduled send time, both read from this
/// machine's wall clock.</item>
/// </list>
/// </summary>
internal static class ConsoleLoad
{
    private const string KeyName = "recoverycomms.key";

    public static async Task<int> RunAsync(Func<string, string, string> opt)
    {
        var webhooksUrl = opt("url", "http://127.0.0.1:5080");
        var publicBase = opt("public-base", webhooksUrl).TrimEnd('/');
        var token = opt("token", "dev-auth-token");
        var orchestratorUrl = opt("orchestrator-url", "http://127.0.0.1:5081");
        var open = int.Parse(opt("open", "500"), CultureInfo.InvariantCulture);
        var loads = int.Parse(opt("loads", "20"), CultureInfo.InvariantCulture);
        var rate = int.Parse(opt("rate", "200"), CultureInfo.InvariantCulture);
        var seconds = int.Parse(opt("seconds", "30"), CultureInfo.InvariantCulture);
        var trace = opt("trace", "");

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { Timeout = TimeSpan.FromSeconds(30) };
        var key = await OrchestratorLoad.CsrKeyAsync(http, orchestratorUrl, opt("bootstrap-key", "dev-bootstrap-admin-key"));
        HttpRequestMessage MissedCall(string from) => SignedMissedCall(webhooksUrl, publicBase, token, from);

        // ---- seed: N open items, through the webhooks service like real missed calls ----------------------------
        var seedErrors = 0;
        using (var gate = new SemaphoreSlim(16))
        {
            await Task.WhenAll(Enumerable.Range(0, open).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    using var response = await http.SendAsync(MissedCall(Phone(5, i)));
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref seedErrors);
                    }
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        // The items are made by the orchestrator from the captured events: wait until the open view counts them all (2 minutes at most).
        var openNow = 0;
        await OpenLoop.UntilAsync(async () => (openNow = await OpenCountAsync(http, orchestratorUrl, key)) >= open, TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(250));

        Console.Error.WriteLine($"[console] {open} missed-call webhooks sent ({seedErrors} errors); the open view counts {openNow}");
        if (openNow < open)
        {
            return 1;
        }

        // ---- the browser -----------------------------------------------------------------------------------------
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium(),
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });

        // ---- target 1: the queue page with N open items ----------------------------------------------------------
        var ready = new List<double>();
        var panel = new List<double>();
        var clickToPanel = new List<double>();
        var blocked = new List<double>();
        var longest = new List<double>();
        for (var i = -2; i < loads; i++)
        {
            // Two loads first, not counted: the orchestrator's list and item routes, and the browser's, warm up.
            var load = await LoadQueueAsync(browser, orchestratorUrl, key, open);
            if (i >= 0)
            {
                ready.Add(load.Ready);
                panel.Add(load.Panel);
                clickToPanel.Add(load.Panel - load.Click);
                blocked.Add(load.LongTasks.Sum(t => t.Duration));
                longest.Add(load.LongTasks.Select(t => t.Duration).DefaultIfEmpty(0).Max());
            }
        }

        // ---- target 2: missed calls arriving on an open page -----------------------------------------------------
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1366, Height = 768 } });
        await context.AddInitScriptAsync(SignedIn(key));
        var page = await context.NewPageAsync();
        BrowserProcesses.UnpinChromium();
        await page.GotoAsync(orchestratorUrl + "/#/queue/open");
        await page.WaitForFunctionAsync("() => performance.getEntriesByName('rc:queue-ready').length > 0");
        await page.WaitForFunctionAsync("() => document.querySelector('.stream-state')?.textContent === '● Live'");
        await page.EvaluateAsync(RowWatcher);

        using var stop = new CancellationTokenSource();
        var onFeed = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var reading = await LiveFeed.OpenAsync(http, orchestratorUrl, key, phone => onFeed.TryAdd(phone, Stopwatch.GetTimestamp()), stop.Token);
        var total = rate * seconds;
        var scheduled = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var (wallAnchor, tickAnchor) = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Stopwatch.GetTimestamp());
        double WallMs(long ticks) => wallAnchor + ((ticks - tickAnchor) * 1000.0 / Stopwatch.Frequency);

        var tracing = trace != "" ? await ChromiumTrace.StartAsync(browser) : null;

        var browserBefore = BrowserProcesses.CpuSeconds();
        var longTasksBefore = await page.EvaluateAsync<double>("() => window.__rcLive.blocked");
        var run = await OpenLoop.RunAsync(http, rate, total, (i, at) =>
        {
            var phone = Phone(6, i);
            scheduled[phone] = at;
            return MissedCall(phone);
        });
        var sendEnded = Stopwatch.GetTimestamp();
        var allShown = true;
        try
        {
            await page.WaitForFunctionAsync("n => window.__rcLive.seen.size >= n", total - run.Errors, new() { PollingInterval = 500, Timeout = 120_000 });
        }
        catch (TimeoutException)
        {
            allShown = false;
        }

        var browserAfter = BrowserProcesses.CpuSeconds();
        var cpuWindow = Stopwatch.GetElapsedTime(tickAnchor).TotalSeconds;
        var shownAt = await page.EvaluateAsync<Dictionary<string, double[]>>("() => Object.fromEntries(window.__rcLive.seen)");
        var live = await page.EvaluateAsync<JsonElement>("() => ({ rows: document.querySelectorAll('#queue tbody tr').length, blocked: window.__rcLive.blocked, longest: window.__rcLive.longest })");
        if (tracing is not null)
        {
            await tracing.StopAsync(trace);
        }

        await stop.CancelAsync();
        await reading;

        var inserted = new LongHistogram(TimeStamp.Seconds(600), 3);
        var painted = new LongHistogram(TimeStamp.Seconds(600), 3);
        var feed = new LongHistogram(TimeStamp.Seconds(600), 3);
        var withinSecond = 0;
        foreach (var (phone, at) in scheduled)
        {
            var sent = WallMs(at);
            if (shownAt.TryGetValue(phone, out var shown))
            {
                inserted.RecordValue(Micros(shown[0] - sent));
                painted.RecordValue(Micros(shown[1] - sent));
                withinSecond += shown[1] - sent <= 1000 ? 1 : 0;
            }

            if (onFeed.TryGetValue(phone, out var fed))
            {
                feed.RecordValue(Micros((fed - at) * 1000.0 / Stopwatch.Frequency));
            }
        }

        var browserCpu = browserAfter - browserBefore;
        var cores = BrowserProcesses.UnpinChromium();
        var self = Process.GetCurrentProcess();
        var chrome = await page.EvaluateAsync<string>("() => navigator.userAgent.match(/Chrome\\/[\\d.]+/)[0]");
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"""
            ## Console ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {cores}, {chrome})

            Queue page, {open} open items, {loads} loads (fresh context each, signed in through sessionStorage; 2 loads before, not counted)
            | measure | median | p95 | max |
            |---|---|---|---|
            | navigation start → rows rendered (rc:queue-ready) | {Pct(ready, 50):0} | {Pct(ready, 95):0} | {ready.Max():0} ms |
            | navigation start → a click on the first row opened its panel with the detail | {Pct(panel, 50):0} | {Pct(panel, 95):0} | {panel.Max():0} ms |
            | of which click → panel with the detail | {Pct(clickToPanel, 50):0} | {Pct(clickToPanel, 95):0} | {clickToPanel.Max():0} ms |
            | long tasks until then: total | {Pct(blocked, 50):0} | {Pct(blocked, 95):0} | {blocked.Max():0} ms |
            | long tasks until then: longest | {Pct(longest, 50):0} | {Pct(longest, 95):0} | {longest.Max():0} ms |

            Live: {total} signed missed-call webhooks at {rate}/s for {seconds} s (all answered {run.Elapsed.TotalSeconds:0.0} s after the first was due, {run.Errors} errors), each a new caller
            | measure | value |
            |---|---|
            | rows shown | {shownAt.Count} of {total - run.Errors}{(allShown ? "" : " (waited 120 s after the last webhook)")}; {live.GetProperty("rows").GetInt32()} rows in the table at the end |
            | webhook → row painted p50 / p95 / p99 / max | {Ms(painted, 50):0} / {Ms(painted, 95):0} / {Ms(painted, 99):0} / {Ms(painted, 100):0} ms |
            | within 1 s | {withinSecond * 100.0 / Math.Max(1, total - run.Errors):0.0}% |
            | webhook → row inserted p50 / p99 | {Ms(inserted, 50):0} / {Ms(inserted, 99):0} ms |
            | webhook → item on the live feed (load tool's own connection) p50 / p99 | {Ms(feed, 50):0} / {Ms(feed, 99):0} ms ({feed.TotalCount} items) |
            | page's long tasks during the run: total / longest | {live.GetProperty("blocked").GetDouble() - longTasksBefore:0} / {live.GetProperty("longest").GetDouble():0} ms |
            | browser CPU (all Chromium processes) | {browserCpu:0.0} s over {cpuWindow:0.0} s ({browserCpu / cpuWindow:P0} of one core) |
            | load tool CPU (this process, whole run) | {self.UserProcessorTime.TotalSeconds:0.0} s user + {self.PrivilegedProcessorTime.TotalSeconds:0.0} s system |
            """));
        if (trace != "")
        {
            Console.WriteLine(TraceSummary.Describe(trace, Stopwatch.GetElapsedTime(tickAnchor, sendEnded)));
        }

        return allShown && run.Errors == 0 ? 0 : 1;
    }

    private sealed record Load(double Ready, double Click, double Panel, IReadOnlyList<(double Start, double Duration)> LongTasks);

    /// <summary>One load of the queue page in a fresh context: when the rows were rendered, and a click on the first row.</summary>
    private static async Task<Load> LoadQueueAsync(IBrowser browser, string orchestratorUrl, string key, int open)
    {
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1366, Height = 768 } });
        await context.AddInitScriptAsync(SignedIn(key) + LoadWatcher);
        var page = await context.NewPageAsync();
        BrowserProcesses.UnpinChromium();
        await page.GotoAsync(orchestratorUrl + "/#/queue/open", new() { WaitUntil = WaitUntilState.Commit });
        await page.WaitForFunctionAsync("() => performance.getEntriesByName('rc:queue-ready').length > 0");
        var rows = await page.Locator("#queue tr[data-item-id]").CountAsync();
        if (rows < open)
        {
            throw new InvalidOperationException($"The queue showed {rows} rows, {open} expected.");
        }

        await page.Locator("#queue tr[data-item-id] a.open-item").First.ClickAsync();
        await page.WaitForFunctionAsync("() => window.__rcLoad.panel !== null");
        var measured = await page.EvaluateAsync<JsonElement>(
            "() => ({ ready: performance.getEntriesByName('rc:queue-ready')[0].startTime, click: window.__rcLoad.click, panel: window.__rcLoad.panel, longTasks: window.__rcLoad.longTasks })");
        var panelAt = measured.GetProperty("panel").GetDouble();
        var longTasks = measured.GetProperty("longTasks").EnumerateArray()
            .Select(t => (Start: t[0].GetDouble(), Duration: t[1].GetDouble())).Where(t => t.Start < panelAt).ToList();
        return new Load(measured.GetProperty("ready").GetDouble(), measured.GetProperty("click").GetDouble(), panelAt, longTasks);
    }

    /// <summary>Signs the page in before its scripts run (the key in sessionStorage, as the sign-in form leaves it).</summary>
    private static string SignedIn(string key) => $"sessionStorage.setItem({JsonSerializer.Serialize(KeyName)}, {JsonSerializer.Serialize(key)});\n";

    /// <summary>
    /// For one load: the long tasks, the click on a row's link (its event time) and when the item panel showed the
    /// item's detail (its header filled in), all on the page's clock (milliseconds since navigation start).
    /// </summary>
    private const string LoadWatcher = """
        window.__rcLoad = { longTasks: [], click: null, panel: null };
        new PerformanceObserver((list) => {
          for (const task of list.getEntries()) { window.__rcLoad.longTasks.push([task.startTime, task.duration]); }
        }).observe({ type: "longtask", buffered: true });
        document.addEventListener("click", (event) => {
          if (event.target.closest?.("a.open-item")) { window.__rcLoad.click ??= event.timeStamp; }
        }, true);
        new MutationObserver((_, observer) => {
          if (document.querySelector("article.item .item-header")?.textContent) {
            window.__rcLoad.panel = performance.now();
            observer.disconnect();
          }
        }).observe(document, { childList: true, subtree: true, characterData: true });
        """;

    /// <summary>
    /// For the live run: each caller's row, when first inserted into the queue's table and at the next frame after
    /// that (the inserting frame has been laid out and painted by then), in wall-clock milliseconds; and the long tasks.
    /// </summary>
    private const string RowWatcher = """
        () => {
          const live = window.__rcLive = { seen: new Map(), blocked: 0, longest: 0 };
          new PerformanceObserver((list) => {
            for (const task of list.getEntries()) { live.blocked += task.duration; live.longest = Math.max(live.longest, task.duration); }
          }).observe({ type: "longtask" });
          new MutationObserver((records) => {
            const now = Date.now();
            const fresh = [];
            for (const record of records) {
              for (const row of record.addedNodes) {
                const phone = row.dataset?.phone;
                if (phone && !live.seen.has(phone)) { const times = [now, 0]; live.seen.set(phone, times); fresh.push(times); }
              }
            }
            if (fresh.length) { requestAnimationFrame(() => { const painted = Date.now(); for (const times of fresh) { times[1] = painted; } }); }
          }).observe(document.querySelector("#queue tbody"), { childList: true });
        }
        """;

    private static string Phone(int series, int i) => "+1312" + series.ToString(CultureInfo.InvariantCulture) + i.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>A dial-complete webhook (no-answer) from <paramref name="from"/>, signed as Twilio signs it.</summary>
    private static HttpRequestMessage SignedMissedCall(string webhooksUrl, string publicBase, string token, string from)
    {
        KeyValuePair<string, string>[] form =
        [
            new("AccountSid", "AC00000000000000000000000000000000"), new("CallSid", "CA" + Guid.NewGuid().ToString("N")),
            new("CallStatus", "in-progress"), new("DialCallStatus", "no-answer"), new("Direction", "inbound"), new("From", from),
            new("To", "+15550001111"),
        ];
        var request = new HttpRequestMessage(HttpMethod.Post, webhooksUrl + "/twilio/voice/dial-complete") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add(TwilioSignature.HeaderName, TwilioSignature.Compute(token, publicBase + "/twilio/voice/dial-complete", form));
        return request;
    }

    private static async Task<int> OpenCountAsync(HttpClient http, string orchestratorUrl, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, orchestratorUrl + "/api/recoveries/counts");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("counts").GetProperty("open").GetInt32();
    }

    /// <summary>Debian's Chromium (or RECOVERYCOMMS_CHROMIUM); Playwright never downloads a browser here.</summary>
    private static string Chromium()
    {
        var configured = Environment.GetEnvironmentVariable("RECOVERYCOMMS_CHROMIUM");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        return new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("No Chromium found: install Debian's chromium or set RECOVERYCOMMS_CHROMIUM.");
    }

    private static double Pct(List<double> values, double percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Clamp(Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static long Micros(double ms) => Math.Max(1, (long)(ms * 1000));

    private static double Ms(HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? double.NaN : histogram.GetValueAtPercentile(percentile) / 1000.0;
}
