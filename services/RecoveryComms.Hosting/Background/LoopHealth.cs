using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RecoveryComms.Hosting.Background;

/// <summary>
/// How one background loop (or listener) is doing: when it last got through a step, and since when, how often and why
/// it has been failing. Written by the loop, read by its readiness check (<see cref="LoopHealthChecks"/>).
/// </summary>
public sealed class LoopHealth(string name, TimeProvider clock)
{
    private readonly Lock _gate = new();
    private bool _running;
    private DateTimeOffset? _lastSuccessAt;
    private DateTimeOffset? _failingSince;
    private int _consecutiveFailures;
    private string? _lastError;

    /// <summary>The loop's name, its readiness entry's name when it has one.</summary>
    public string Name { get; } = name;

    /// <summary>False until the loop runs its first step (it may be waiting for the migrations).</summary>
    public bool Running
    {
        get
        {
            lock (_gate)
            {
                return _running;
            }
        }
    }

    public DateTimeOffset? LastSuccessAt
    {
        get
        {
            lock (_gate)
            {
                return _lastSuccessAt;
            }
        }
    }

    /// <summary>When the current run of failures began (the start of its first failed attempt); null while the loop works.</summary>
    public DateTimeOffset? FailingSince
    {
        get
        {
            lock (_gate)
            {
                return _failingSince;
            }
        }
    }

    public int ConsecutiveFailures
    {
        get
        {
            lock (_gate)
            {
                return _consecutiveFailures;
            }
        }
    }

    /// <summary>The newest failure's message while failing; null once a step succeeds.</summary>
    public string? LastError
    {
        get
        {
            lock (_gate)
            {
                return _lastError;
            }
        }
    }

    /// <summary>The loop is about to run its first step.</summary>
    public void Started()
    {
        lock (_gate)
        {
            _running = true;
        }
    }

    /// <summary>A step got through: the run of failures, if any, is over.</summary>
    public void Succeeded()
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            _running = true;
            _lastSuccessAt = now;
            _failingSince = null;
            _consecutiveFailures = 0;
            _lastError = null;
        }
    }

    /// <summary>A step that began at <paramref name="attemptStartedAt"/> failed with <paramref name="error"/>.</summary>
    public void Failed(DateTimeOffset attemptStartedAt, string error)
    {
        lock (_gate)
        {
            _running = true;
            _failingSince ??= attemptStartedAt;
            _consecutiveFailures++;
            _lastError = error;
        }
    }

    /// <summary>
    /// The readiness answer: Healthy while the loop works (or has not started: the postgres check answers for the
    /// migrations it waits for), Degraded while it fails, Unhealthy once it has failed for
    /// <paramref name="unhealthyAfter"/> (never, when that is null).
    /// </summary>
    public HealthCheckResult Check(TimeSpan? unhealthyAfter)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (_failingSince is not { } since)
            {
                return HealthCheckResult.Healthy(_lastSuccessAt is { } at ? $"last success {at:O}" : _running ? "running" : "not started");
            }

            var failingFor = now - since;
            var description = $"failing for {(int)failingFor.TotalSeconds} s ({_consecutiveFailures} failed attempts): {_lastError}";
            return failingFor >= unhealthyAfter ? HealthCheckResult.Unhealthy(description) : HealthCheckResult.Degraded(description);
        }
    }
}
