using System.Diagnostics;
using HdrHistogram;

namespace RecoveryComms.LoadTest;

/// <summary>
/// Sends requests at a fixed rate whatever the server does (open loop). Latency is measured from each request's
/// scheduled send time, so a stall shows in the figures instead of silently slowing the sender down.
/// </summary>
internal static class OpenLoop
{
    public sealed record Result(HistogramBase Latency, long Errors, TimeSpan Elapsed);

    /// <param name="http">The client.</param>
    /// <param name="rate">Requests per second.</param>
    /// <param name="total">How many.</param>
    /// <param name="request">Builds request <c>i</c>, given its scheduled <see cref="Stopwatch"/> timestamp.</param>
    public static async Task<Result> RunAsync(HttpClient http, int rate, int total, Func<int, long, HttpRequestMessage> request)
    {
        var latency = new LongConcurrentHistogram(1, TimeStamp.Seconds(60), 3);
        var errors = 0L;
        var tasks = new List<Task>(total);
        var t0 = Stopwatch.GetTimestamp();
        for (var i = 0; i < total; i++)
        {
            var scheduled = t0 + (long)(i * (double)Stopwatch.Frequency / rate);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), scheduled);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            var n = i;
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    using var message = request(n, scheduled);
                    using var response = await http.SendAsync(message);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref errors);
                }

                // A request may start up to a millisecond before its slot; never record a negative value.
                latency.RecordValue(Math.Max(1, Stopwatch.GetTimestamp() - scheduled));
            }));
        }

        await Task.WhenAll(tasks);
        return new Result(latency, errors, Stopwatch.GetElapsedTime(t0));
    }

    /// <summary>A percentile of a histogram of <see cref="Stopwatch"/> ticks, in milliseconds.</summary>
    public static double Ms(HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? double.NaN : histogram.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency;

    /// <summary>Waits until <paramref name="done"/> holds or <paramref name="timeout"/> passes; true when it held.</summary>
    public static Task<bool> UntilAsync(Func<bool> done, TimeSpan timeout) =>
        UntilAsync(() => Task.FromResult(done()), timeout, TimeSpan.FromMilliseconds(50));

    /// <summary>Asks <paramref name="done"/> every <paramref name="every"/> until it holds or <paramref name="timeout"/> passes; true when it held.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> done, TimeSpan timeout, TimeSpan every)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!await done())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            await Task.Delay(every);
        }

        return true;
    }
}
