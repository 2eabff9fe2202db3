using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using RecoveryComms.Hosting.Background;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Background;

/// <summary>
/// The loop primitive on a clock the test moves: every wait the loop asks for is recorded, so the back-off is read
/// from what the loop asked, never from how long anything took.
/// </summary>
public sealed class BackgroundLoopTests
{
    private static readonly TimeSpan UnhealthyAfter = TimeSpan.FromSeconds(2);

    /// <summary>A fake clock that records the due time of every timer made on it (a Task.Delay is one).</summary>
    private sealed class RecordingClock() : FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero))
    {
        public ConcurrentQueue<TimeSpan> Waits { get; } = new();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Waits.Enqueue(dueTime);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    /// <summary>A loop whose step fails while <see cref="Failing"/> is set and counts its attempts.</summary>
    private sealed class SwitchedLoop(BackgroundLoops loops) : BackgroundLoop(loops, new LoopSettings("test-loop", "The test loop") { AfterMigrations = false, Idle = TimeSpan.FromMinutes(1) }, NullLogger.Instance)
    {
        private int _attempts;

        public volatile bool Failing = true;

        public int Attempts => Volatile.Read(ref _attempts);

        protected override Task<LoopStep> StepAsync(CancellationToken ct)
        {
            Interlocked.Increment(ref _attempts);
            return Failing ? throw new InvalidOperationException("the table is away") : Task.FromResult(LoopStep.Idle);
        }
    }

    private static Task<int> AttemptsAsync(SwitchedLoop loop, int count) =>
        Eventually.ValueAsync(() => Task.FromResult(loop.Attempts), n => n >= count, TimeSpan.FromSeconds(10), $"attempt {count} made");

    private static async Task<TimeSpan> NextWaitAsync(RecordingClock clock) =>
        await Eventually.ValueAsync(() => Task.FromResult(clock.Waits.TryDequeue(out var wait) ? wait : (TimeSpan?)null), w => w is not null,
            TimeSpan.FromSeconds(10), "the loop asked for a wait") ?? TimeSpan.Zero;

    [Fact]
    public async Task FailingStep_BacksOffDoubling_TurnsReadinessRedPastItsThreshold_AndGreenAtTheNextSuccess()
    {
        var clock = new RecordingClock();
        var loops = new BackgroundLoops(new BackgroundTime(clock, () => 1.0));
        using var loop = new SwitchedLoop(loops);
        await loop.StartAsync(CancellationToken.None);
        try
        {
            await AttemptsAsync(loop, 1);
            Assert.Equal(TimeSpan.FromMilliseconds(200), await NextWaitAsync(clock));
            Assert.Equal(HealthStatus.Degraded, loop.Health.Check(UnhealthyAfter).Status);

            clock.Advance(TimeSpan.FromMilliseconds(200));
            await AttemptsAsync(loop, 2);
            Assert.Equal(TimeSpan.FromMilliseconds(400), await NextWaitAsync(clock));
            clock.Advance(TimeSpan.FromMilliseconds(400));
            await AttemptsAsync(loop, 3);
            Assert.Equal(TimeSpan.FromMilliseconds(800), await NextWaitAsync(clock));
            clock.Advance(TimeSpan.FromMilliseconds(800));
            await AttemptsAsync(loop, 4);
            Assert.Equal(TimeSpan.FromMilliseconds(1600), await NextWaitAsync(clock));
            // 1.4 s of failing so far: still Degraded; 3 s: red.
            Assert.Equal(HealthStatus.Degraded, loop.Health.Check(UnhealthyAfter).Status);
            clock.Advance(TimeSpan.FromMilliseconds(1600));
            await AttemptsAsync(loop, 5);
            var red = loop.Health.Check(UnhealthyAfter);
            Assert.Equal(HealthStatus.Unhealthy, red.Status);
            Assert.Contains("failing for 3 s (5 failed attempts): the table is away", red.Description, StringComparison.Ordinal);
            Assert.Equal(5, loop.Health.ConsecutiveFailures);
            Assert.Equal(HealthStatus.Degraded, loop.Health.Check(unhealthyAfter: null).Status);

            loop.Failing = false;
            Assert.Equal(TimeSpan.FromMilliseconds(3200), await NextWaitAsync(clock));
            clock.Advance(TimeSpan.FromMilliseconds(3200));
            await AttemptsAsync(loop, 6);
            // Green, and idle for its interval: the back-off is over.
            Assert.Equal(TimeSpan.FromMinutes(1), await NextWaitAsync(clock));
            var green = loop.Health.Check(UnhealthyAfter);
            Assert.Equal(HealthStatus.Healthy, green.Status);
            Assert.Equal((0, null, clock.GetUtcNow()), (loop.Health.ConsecutiveFailures, loop.Health.LastError, loop.Health.LastSuccessAt));
        }
        finally
        {
            await loop.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Wake_EndsTheIdleWaitAtOnce()
    {
        var clock = new RecordingClock();
        using var loop = new SwitchedLoop(new BackgroundLoops(new BackgroundTime(clock, () => 0.5))) { Failing = false };
        await loop.StartAsync(CancellationToken.None);
        try
        {
            await AttemptsAsync(loop, 1);
            Assert.Equal(TimeSpan.FromMinutes(1), await NextWaitAsync(clock));

            loop.Wake();

            await AttemptsAsync(loop, 2);
            Assert.Equal(HealthStatus.Healthy, loop.Health.Check(UnhealthyAfter).Status);
        }
        finally
        {
            await loop.StopAsync(CancellationToken.None);
        }
    }
}
