using Npgsql;
using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Orchestrator.Timers;

/// <summary>What a timer of some kind does; runs inside the transaction that deletes the timer.</summary>
public interface ITimerHandler
{
    IReadOnlyCollection<string> Kinds { get; }

    Task FireAsync(NpgsqlConnection c, NpgsqlTransaction tx, DueTimer timer, CancellationToken ct);
}

/// <summary>Whether the timer loop keeps up; drives the readiness check.</summary>
public sealed class TimerWorkerState
{
    public DateTimeOffset? LastFailureAt { get; internal set; }

    public string? LastError { get; internal set; }
}

/// <summary>
/// Fires due timers: claims one with <c>FOR UPDATE SKIP LOCKED</c>, runs its handler and deletes it in one
/// transaction. "Due" is read from the injected <see cref="TimeProvider"/> (business time, which tests drive);
/// the poll itself waits on the system clock. A handler that throws leaves its timer for a later try with
/// back-off, logged, and never blocks the timers behind it.
/// </summary>
public sealed partial class TimerWorker(
    NpgsqlDataSource dataSource, IEnumerable<ITimerHandler> handlers, TimeProvider time, MigrationState migrations, TimerWorkerState state,
    ILogger<TimerWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    private readonly Dictionary<string, ITimerHandler> _handlers = handlers
        .SelectMany(h => h.Kinds.Select(kind => (kind, h))).ToDictionary(p => p.kind, p => p.h, StringComparer.Ordinal);

    /// <summary>
    /// Loops per replica. Note: firing a timer is a handful of round trips to PostgreSQL, so one loop fires a few
    /// dozen a second; SKIP LOCKED lets several loops (and replicas) share the due timers without waiting on each other.
    /// </summary>
    public const int Loops = 4;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!migrations.Done)
        {
            await Task.Delay(Poll, stoppingToken);
        }

        await Task.WhenAll(Enumerable.Range(0, Loops).Select(_ => Task.Run(() => LoopAsync(stoppingToken), stoppingToken)));
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await FireDueAsync(1000, stoppingToken) == 0)
                {
                    await Task.Delay(Poll, stoppingToken);
                }

                backoff = TimeSpan.FromMilliseconds(200);
                state.LastError = null;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                state.LastFailureAt = TimeProvider.System.GetUtcNow();
                state.LastError = e.Message;
                LogLoopFailed(e, backoff);
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5_000));
            }
        }
    }

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

    [LoggerMessage(Level = LogLevel.Error, Message = "The timer loop failed; retrying in {Delay}")]
    private partial void LogLoopFailed(Exception e, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No handler for timer kind {Kind} (#{TimerId}); dropped")]
    private partial void LogUnknownKind(string kind, long timerId);
}
