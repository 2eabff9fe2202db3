using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RecoveryComms.LoadTest;

/// <summary>
/// Where the page's main thread spent its time in a Chromium trace: self time (an event's duration less its
/// children's) summed by event name over the renderer's main thread, e.g. FunctionCall (script), Layout,
/// UpdateLayoutTree (style), Paint, FireAnimationFrame, TimerFire, MinorGC.
/// </summary>
internal static class TraceSummary
{
    public static string Describe(string path, TimeSpan run)
    {
        using var stream = File.OpenRead(path);
        using var trace = JsonDocument.Parse(stream);
        var events = trace.RootElement.ValueKind == JsonValueKind.Array ? trace.RootElement : trace.RootElement.GetProperty("traceEvents");
        var mainThreads = events.EnumerateArray()
            .Where(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "thread_name"
                && e.GetProperty("args").GetProperty("name").GetString() == "CrRendererMain")
            .Select(e => (Pid: e.GetProperty("pid").GetInt64(), Tid: e.GetProperty("tid").GetInt64())).ToHashSet();
        var slices = events.EnumerateArray()
            .Where(e => e.GetProperty("ph").GetString() == "X" && e.TryGetProperty("dur", out _)
                && mainThreads.Contains((e.GetProperty("pid").GetInt64(), e.GetProperty("tid").GetInt64())))
            .Select(e => (Thread: e.GetProperty("tid").GetInt64(), Name: e.GetProperty("name").GetString()!, Start: e.GetProperty("ts").GetDouble(),
                Duration: e.GetProperty("dur").GetDouble()))
            .OrderBy(s => s.Thread).ThenBy(s => s.Start).ThenByDescending(s => s.Duration).ToList();

        // Self time: walk each thread's slices in start order with a stack of the enclosing ones.
        var self = new Dictionary<string, double>(StringComparer.Ordinal);
        var inclusive = new Dictionary<string, double>(StringComparer.Ordinal);
        var busy = 0.0;
        var stack = new Stack<(long Thread, string Name, double End)>();
        foreach (var slice in slices)
        {
            while (stack.Count > 0 && (stack.Peek().Thread != slice.Thread || stack.Peek().End <= slice.Start))
            {
                stack.Pop();
            }

            if (stack.Count > 0)
            {
                self[stack.Peek().Name] -= slice.Duration;
            }
            else
            {
                busy += slice.Duration;
            }

            self[slice.Name] = self.GetValueOrDefault(slice.Name) + slice.Duration;
            inclusive[slice.Name] = inclusive.GetValueOrDefault(slice.Name) + slice.Duration;
            stack.Push((slice.Thread, slice.Name, slice.Start + slice.Duration));
        }

        var traced = slices.Count == 0 ? 0 : slices.Max(s => s.Start + s.Duration) - slices.Min(s => s.Start);
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"""

            Renderer main thread, traced from the first webhook ({run.TotalSeconds:0.0} s of sending) to the last row ({path}): busy {busy / 1000:0} ms of {traced / 1000:0} ms ({busy / Math.Max(1, traced):P0})
            | event (self time) | ms | share of busy |
            |---|---|---|

            """);
        foreach (var (name, micros) in self.OrderByDescending(p => p.Value).Take(12))
        {
            text.Append(CultureInfo.InvariantCulture, $"| {name} | {micros / 1000:0} | {micros / busy:P0} |\n");
        }

        // Which callbacks the script time is in: animation frames (the queue applies live changes in one), timers
        // (the countdown ticker, the counts), and everything else the page runs.
        text.Append(CultureInfo.InvariantCulture,
            $"\nInclusive: FireAnimationFrame {inclusive.GetValueOrDefault("FireAnimationFrame") / 1000:0} ms, TimerFire {inclusive.GetValueOrDefault("TimerFire") / 1000:0} ms, FunctionCall {inclusive.GetValueOrDefault("FunctionCall") / 1000:0} ms\n");
        return text.ToString();
    }
}
