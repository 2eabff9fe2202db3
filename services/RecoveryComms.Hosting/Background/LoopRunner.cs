using System.Net.Sockets;
using MassTransit;
using Microsoft.Extensions.Logging;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Hosting.Background;

/// <summary>What a loop's step says about the next one.</summary>
public enum LoopStep
{
    /// <summary>Nothing more to do now: wait the loop's idle time, or until something wakes it.</summary>
    Idle,

    /// <summary>There may be more (a full batch): run the next step at once.</summary>
    Again,

    /// <summary>The loop's job is done for good (a one-time job such as the migrations).</summary>
    Done,
}

/// <summary>
/// Runs one step after another until stopped: a step that throws is tried again after <see cref="Backoff"/>, and
/// every outcome goes to the loop's <see cref="LoopHealth"/>. A run of failures is logged when it starts (a Warning
/// without a stack trace for an outage of PostgreSQL or the broker, an Error with it for anything else) and when it
/// ends (Information, with its length and count); the attempts in between only at Debug. Error texts are logged with
/// every long number masked.
/// </summary>
internal sealed partial class LoopRunner(LoopHealth health, string description, BackgroundTime time, ILogger logger)
{
    private readonly Lock _gate = new();
    private int _failures;
    private DateTimeOffset? _failingSince;

    public LoopHealth Health => health;

    public async Task RunAsync(Func<CancellationToken, Task<LoopStep>> step, Func<CancellationToken, Task> idle, CancellationToken ct)
    {
        health.Started();
        while (!ct.IsCancellationRequested)
        {
            var startedAt = time.Clock.GetUtcNow();
            LoopStep next;
            try
            {
                next = await step(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                await Task.Delay(Failed(e, startedAt), time.Clock, ct);
                continue;
            }

            Succeeded();
            if (next == LoopStep.Done)
            {
                return;
            }

            if (next == LoopStep.Idle)
            {
                await idle(ct);
            }
        }
    }

    /// <summary>The step got through (a listener calls it once it listens again): ends a run of failures.</summary>
    public void Succeeded()
    {
        var now = time.Clock.GetUtcNow();
        health.Succeeded();
        int failures;
        DateTimeOffset since;
        lock (_gate)
        {
            failures = _failures;
            since = _failingSince ?? now;
            _failures = 0;
            _failingSince = null;
        }

        if (failures > 0)
        {
            LogRecovered(description, (int)(now - since).TotalSeconds, failures);
        }
    }

    /// <summary>Records a failure of an attempt that began at <paramref name="startedAt"/>; returns the wait before the next.</summary>
    public TimeSpan Failed(Exception e, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(e);
        var error = Phone.MaskText(e.Message);
        health.Failed(startedAt, error);
        int failures;
        lock (_gate)
        {
            failures = ++_failures;
            _failingSince ??= startedAt;
        }

        var delay = Backoff.Delay(failures, time.NextRandom());
        var errorType = e.GetType().Name;
        if (failures > 1)
        {
            LogFailedAgain(description, failures, errorType, error, delay);
        }
        else if (IsOutage(e))
        {
            LogFailing(description, errorType, error);
        }
        else
        {
            LogFailed(e, description, delay);
        }

        return delay;
    }

    /// <summary>PostgreSQL or the broker away or slow: expected now and then, worth a line but not a stack trace.</summary>
    internal static bool IsOutage(Exception e) =>
        DatabaseErrors.IsUnavailable(e) || e is OperationCanceledException or TimeoutException or MassTransitException or SocketException;

    [LoggerMessage(Level = LogLevel.Error, Message = "{Loop} failed; retrying in {Delay}")]
    private partial void LogFailed(Exception e, string loop, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Loop} failed ({ErrorType}: {Error}); retrying with back-off until it recovers")]
    private partial void LogFailing(string loop, string errorType, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Loop} failed again ({Attempts} attempts; {ErrorType}: {Error}); retrying in {Delay}")]
    private partial void LogFailedAgain(string loop, int attempts, string errorType, string error, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Loop} recovered after {Seconds} s and {Attempts} failed attempts")]
    private partial void LogRecovered(string loop, int seconds, int attempts);
}
