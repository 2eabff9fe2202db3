using Npgsql;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Background;
using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Orchestrator.Timers;

/// <summary>What a timer of some kind does; runs inside the transaction that deletes the timer.</summary>
public interface ITimerHandler
{
    IReadOnlyCollection<string> Kinds { get; }

    Task FireAsync(NpgsqlConnection c, NpgsqlTransaction tx, DueTimer timer, CancellationToken ct);
}

/// <summary>When the timer loop counts as down (<c>Timers</c> section).</summary>
public sealed class TimerWorkerOptions
{
    public const string Section = "Timers";

    /// <summary>
    /// Readiness is Unhealthy (503) once the timer loop has failed for this long: the replica fires no timer, so a
    /// load balancer should send its CSRs elsewhere. A shorter failure shows as Degraded.
    /// </summary>
    [TimeSpanRange("00:00:01", "01:00:00")]
    public TimeSpan UnhealthyAfter { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Fires due timers: claims one with <c>FOR UPDATE SKIP LOCKED</c>, runs its handler and deletes it in one
/// transaction. "Due" is read from the injected <see cref="TimeProvider"/> (business time, which tests drive);
/// the poll itself waits on the loops' clock (<see cref="BackgroundTime"/>). A handler that throws leaves its timer
/// for a later try with its own back-off, logged, and never blocks the timers behind it; a loop that fails (no
/// database) backs off, and its readiness entry (<see cref="LoopName"/>) turns red past
/// <see cref="TimerWorkerOptions.UnhealthyAfter"/>.
/// </summary>
public sealed partial class TimerWorker(
    NpgsqlDataSource dataSource, IEnumerable<ITimerHandler> handlers, TimeProvider time, BackgroundLoops loops, ILogger<TimerWorker> logger)
    : BackgroundLoop(loops, new LoopSettings(LoopName, "The timer loop") { Idle = Poll, Copies = Loops }, logger)
{
    /// <summary>The loop's health and readiness name.</summary>
    public const string LoopName = "timers";

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    private readonly Dictionary<string, ITimerHandler> _handlers = handlers
        .SelectMany(h => h.Kinds.Select(kind => (kind, h))).ToDictionary(p => p.kind, p => p.h, StringComparer.Ordinal);

    /// <summary>
    /// Loops per replica. Note: firing a timer is a handful of round trips to PostgreSQL, so one loop fires a few
    /// dozen a second; SKIP LOCKED lets several loops (and replicas) share the due timers without waiting on each other.
    /// </summary>
    public const int Loops = 4;

    protected override async Task<LoopStep> StepAsync(CancellationToken ct) =>
        await FireDueAsync(1000, ct) == 0 ? LoopStep.Idle : LoopStep.Again;

    /// <summary>Fires up to <paramref name="max"/> due timers, one transaction each; returns how many fired or failed.</summary>
    public async Task<int> FireDueAsync(int max, CancellationToken ct)
    {
        var handled = 0;
        while (handled < max && await FireOneAsync(ct))
        {
            handled++;
        }

        return handled;
    }

    private async Task<bool> FireOneAsync(CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var timer = await TimerStore.ClaimAsync(c, tx, time.GetUtcNow(), ct);
        if (timer is null)
        {
            return false;
        }

        try
        {
            if (_handlers.TryGetValue(timer.Kind, out var handler))
            {
                await handler.FireAsync(c, tx, timer, ct);
            }
            else
            {
                LogUnknownKind(timer.Kind, timer.Id);
            }

            await tx.CommitAsync(ct);
            return true;
        }
        catch (Exception e) when (!DatabaseErrors.IsUnavailable(e) && e is not OperationCanceledException)
        {
            await tx.RollbackAsync(ct);
            var retryIn = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, timer.Failures) * 5, 600));
            LogTimerFailed(e, timer.Kind, timer.Id, timer.ItemId, retryIn);
            await TimerStore.PostponeAsync(dataSource, timer.Id, time.GetUtcNow() + retryIn, e.Message, ct);
            return true;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Timer {Kind} #{TimerId} (item {ItemId}) failed; trying again in {RetryIn}")]
    private partial void LogTimerFailed(Exception e, string kind, long timerId, Guid? itemId, TimeSpan retryIn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No handler for timer kind {Kind} (#{TimerId}); dropped")]
    private partial void LogUnknownKind(string kind, long timerId);
}
