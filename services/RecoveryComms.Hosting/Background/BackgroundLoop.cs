using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RecoveryComms.Hosting.Background;

/// <summary>How a <see cref="BackgroundLoop"/> runs.</summary>
/// <param name="Name">The loop's name: its <see cref="LoopHealth"/>, and its readiness entry when it has one (<see cref="LoopHealthChecks.AddLoopCheck"/>).</param>
/// <param name="Description">What the loop does, as its log lines begin: "Relaying the webhooks outbox", "The timer loop".</param>
public sealed record LoopSettings(string Name, string Description)
{
    /// <summary>The wait after a step that found nothing more to do; <see cref="BackgroundLoop.Wake"/> ends it early.</summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Wait <see cref="Idle"/> before the first step too: a periodic job that first runs one period after start.</summary>
    public bool IdleFirst { get; init; }

    /// <summary>Start once the service's schema is migrated (the default); false for a loop that must run while PostgreSQL is away.</summary>
    public bool AfterMigrations { get; init; } = true;

    /// <summary>How many copies of the step run side by side; they share the loop's health.</summary>
    public int Copies { get; init; } = 1;
}

/// <summary>
/// The one shape of a background loop: wait for the service's migrations, then run <see cref="StepAsync"/> over and
/// over (idle between steps that found nothing to do, unless <see cref="Wake"/>d), back off with
/// <see cref="Backoff"/> after a failure, and report every outcome to <see cref="Health"/>, which a readiness check
/// reads (<see cref="LoopHealthChecks.AddLoopCheck"/>). Idle waits and back-off run on <see cref="BackgroundTime"/>.
/// </summary>
public abstract class BackgroundLoop : BackgroundService
{
    private readonly BackgroundLoops _loops;
    private readonly LoopSettings _settings;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly LoopRunner _runner;

    protected BackgroundLoop(BackgroundLoops loops, LoopSettings settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(loops);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Copies, 1);
        _loops = loops;
        _settings = settings;
        _runner = new LoopRunner(loops.Health(settings.Name), settings.Description, loops.Time, logger);
    }

    /// <summary>How the loop is doing.</summary>
    public LoopHealth Health => _runner.Health;

    /// <summary>The loops' clock.</summary>
    protected BackgroundTime Time => _loops.Time;

    /// <summary>One step of the loop's work.</summary>
    protected abstract Task<LoopStep> StepAsync(CancellationToken ct);

    /// <summary>Runs once, after the migrations and before the first step (a listener that wakes the loop starts here).</summary>
    protected virtual Task StartingAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Ends the current idle wait (a NOTIFY said there is work); one wake-up is kept for the next wait.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_settings.AfterMigrations)
        {
            await _loops.MigratedAsync(stoppingToken);
        }

        await StartingAsync(stoppingToken);
        if (_settings.IdleFirst)
        {
            await IdleAsync(stoppingToken);
        }

        await Task.WhenAll(Enumerable.Range(0, _settings.Copies).Select(_ => Task.Run(() => _runner.RunAsync(StepAsync, IdleAsync, stoppingToken), stoppingToken)));
    }

    private async Task IdleAsync(CancellationToken ct)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await Task.WhenAny(_wake.WaitAsync(done.Token), Task.Delay(_settings.Idle, _loops.Time.Clock, done.Token));
        // Note: whichever lost is cancelled; a cancelled semaphore wait takes no wake-up with it.
        await done.CancelAsync();
        ct.ThrowIfCancellationRequested();
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
        GC.SuppressFinalize(this);
    }
}
