namespace RecoveryComms.Hosting.Background;

/// <summary>
/// The one back-off of every background loop and listener: 200 ms after the first failure, doubling to a 5 s cap,
/// with "equal jitter" (half of each wait fixed, the other half random), reset by the first success.
/// </summary>
/// <remarks>
/// Note: chosen from what the loops did before (200 ms doubling in five of them; caps of 5, 10, 30 and 60 s). The
/// start is the bus's too (docs/reliability.md). The cap is the outbox relay's and the timer loop's, the two loops
/// whose lag is a contract figure: a loop retries at most 5 s after its dependency is back, so readiness is green
/// again and the timers fire within seconds of an outage's end. Retrying that often costs nothing worth a longer
/// cap: a service runs a handful of loops, one cheap attempt each per cap, and a loop logs a run of failures once
/// (<see cref="BackgroundLoop"/>), not per attempt. The jitter keeps replicas that failed together from
/// retrying in step.
/// </remarks>
public static class Backoff
{
    /// <summary>The wait after the first failure of a run (before jitter).</summary>
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait between two attempts.</summary>
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The wait after the <paramref name="failures"/>th failure in a row (1 for the first): <see cref="First"/>
    /// doubled per failure up to <see cref="Cap"/>, of which the second half is scaled by <paramref name="random"/>
    /// (0 ≤ random &lt; 1), so it lies between half of that and all of it.
    /// </summary>
    public static TimeSpan Delay(int failures, double random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);
        var doublings = Math.Min(failures - 1, 16);
        var full = Math.Min(First.Ticks << doublings, Cap.Ticks);
        return TimeSpan.FromTicks((full / 2) + (long)(full / 2 * Math.Clamp(random, 0, 1)));
    }
}
