using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Hosting.Data;

/// <summary>How long each kind of row is kept, and how the prune runs (<c>Retention</c> section, every service).</summary>
public sealed class RetentionOptions : IValidatableObject
{
    public const string Section = "Retention";

    /// <summary>
    /// The shortest time a raw webhook is kept, whatever is configured. Note: Twilio retries a callback within its
    /// total timeout (<c>#tt=</c>, at most 15 s for all <c>#rc=</c> retries, twilio-facts §2.10), and a copy that
    /// waited in the spool or the journal during an outage is stored later still; the raw row is what recognises
    /// every such copy as a duplicate, so a day leaves a wide margin over both.
    /// </summary>
    public const string ShortestRawWebhooks = "1.00:00:00";

    /// <summary><see cref="ShortestRawWebhooks"/> as a time span: the raw webhooks step never prunes younger rows, even when validation was bypassed.</summary>
    public static TimeSpan ShortestRawWebhooksAge { get; } = TimeSpan.FromDays(1);

    /// <summary>How often the prune runs (each replica; a step another replica is working is skipped).</summary>
    [TimeSpanRange("00:00:01", "1.00:00:00")]
    public TimeSpan Every { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Rows per statement: one short transaction each, so a backlog never takes a long lock.</summary>
    [Range(1, 50_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>The pause between two batches of one step, so a backlog drains without crowding out the service's own work.</summary>
    [TimeSpanRange("00:00:00", "00:01:00")]
    public TimeSpan BatchPause { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Raw Twilio webhooks (webhooks service), counted from when they were stored; never below <see cref="ShortestRawWebhooks"/>.</summary>
    [TimeSpanRange(ShortestRawWebhooks, "3650.00:00:00")]
    public TimeSpan RawWebhooks { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Published outbox rows (every service), counted from their publication; unpublished rows are never pruned.</summary>
    [TimeSpanRange("01:00:00", "3650.00:00:00")]
    public TimeSpan Outbox { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Outbox dead letters (every service): evidence of an event that never left, kept long enough to be read.</summary>
    [TimeSpanRange("1.00:00:00", "3650.00:00:00")]
    public TimeSpan OutboxDeadLetters { get; set; } = TimeSpan.FromDays(90);

    /// <summary>CRM delivery bodies (orchestrator): emptied this long after the delivery settled; the row stays as the log.</summary>
    [TimeSpanRange("1.00:00:00", "3650.00:00:00")]
    public TimeSpan CrmBodies { get; set; } = TimeSpan.FromDays(30);

    /// <summary>CRM delivery rows (orchestrator): deleted this long after the delivery settled.</summary>
    [TimeSpanRange("1.00:00:00", "3650.00:00:00")]
    public TimeSpan CrmDeliveries { get; set; } = TimeSpan.FromDays(180);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CrmDeliveries < CrmBodies)
        {
            yield return new ValidationResult($"{nameof(CrmDeliveries)} must not be shorter than {nameof(CrmBodies)}.", [nameof(CrmDeliveries)]);
        }
    }
}

/// <summary>
/// One named prune step of a service's own schema: a statement that deletes (or empties) at most <c>@Batch</c> rows
/// and returns how many it touched. It gets <c>@Batch</c> (int), <c>@Age</c> (interval, from <see cref="Age"/>) and
/// <c>@Now</c> (the service's <see cref="TimeProvider"/>): a column set by the database's <c>now()</c> is compared
/// with <c>now() - @Age</c>, one set from the service's clock with <c>@Now - @Age</c>. The inner SELECT takes its
/// rows <c>FOR UPDATE SKIP LOCKED</c>, so a batch never waits on a row the service is working on.
/// </summary>
public sealed record RetentionStep(string Name, string Sql, Func<RetentionOptions, TimeSpan> Age);

/// <summary>
/// The two steps every service's outbox needs: Hosting's outbox tables have the same shape in every schema
/// (<see cref="Messaging.Outbox"/>), so the service names only its schema.
/// </summary>
public static class OutboxRetention
{
    /// <summary>Published rows older than <see cref="RetentionOptions.Outbox"/>; an unpublished row is never touched.</summary>
    public static RetentionStep Published(string schema) => new($"{schema}.outbox", $"""
        DELETE FROM {schema}.outbox WHERE id IN (
            SELECT id FROM {schema}.outbox
            WHERE published_at < now() - @Age
            ORDER BY published_at
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED)
        """, o => o.Outbox);

    /// <summary>Dead letters older than <see cref="RetentionOptions.OutboxDeadLetters"/> (evidence, so kept long).</summary>
    public static RetentionStep DeadLetters(string schema) => new($"{schema}.outbox_dead_letters", $"""
        DELETE FROM {schema}.outbox_dead_letters WHERE outbox_id IN (
            SELECT outbox_id FROM {schema}.outbox_dead_letters
            WHERE dead_at < now() - @Age
            ORDER BY dead_at
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED)
        """, o => o.OutboxDeadLetters);
}

/// <summary>What one run of a step did: rows touched, batches run, and whether another replica had the step.</summary>
public sealed record RetentionRun(string Step, int Rows, int Batches, bool Skipped);

/// <summary>The service's own prune steps, in the order they run.</summary>
public sealed record RetentionSteps(IReadOnlyList<RetentionStep> Steps);

/// <summary>
/// Runs prune steps in batches: each batch is its own short transaction that first takes the step's
/// <c>pg_try_advisory_xact_lock</c>, so two replicas never work the same step at once (the one that loses the race
/// skips the step until its next run); a step loops until a batch touches fewer rows than the batch size, pausing
/// between batches. Only counts are logged, never row contents (raw webhooks hold phone numbers).
/// </summary>
public sealed partial class RetentionRunner(NpgsqlDataSource dataSource, TimeProvider time, ILogger<RetentionRunner> logger)
{
    private const string TryLockSql = "SELECT pg_try_advisory_xact_lock(hashtextextended('recoverycomms-retention:' || @step, 0))";

    public async Task<IReadOnlyList<RetentionRun>> RunAsync(IReadOnlyList<RetentionStep> steps, RetentionOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var runs = new List<RetentionRun>(steps.Count);
        foreach (var step in steps)
        {
            runs.Add(await RunStepAsync(step, options, ct));
        }

        return runs;
    }

    public async Task<RetentionRun> RunStepAsync(RetentionStep step, RetentionOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(options);
        var age = step.Age(options);
        var rows = 0;
        var batches = 0;
        while (true)
        {
            var touched = await BatchAsync(step, age, options.BatchSize, ct);
            if (touched is not { } count)
            {
                LogSkipped(step.Name);
                return new RetentionRun(step.Name, rows, batches, Skipped: true);
            }

            rows += count;
            batches++;
            if (count < options.BatchSize)
            {
                break;
            }

            // Note: the pause is infrastructure time, like the relay's back-off, so it reads the system clock.
            await Task.Delay(options.BatchPause, TimeProvider.System, ct);
        }

        if (rows > 0)
        {
            LogPruned(step.Name, rows, batches);
        }

        return new RetentionRun(step.Name, rows, batches, Skipped: false);
    }

    private async Task<int?> BatchAsync(RetentionStep step, TimeSpan age, int batchSize, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var tryLock = new NpgsqlCommand(TryLockSql, connection, tx))
        {
            tryLock.Parameters.AddWithValue("step", step.Name);
            if (await tryLock.ExecuteScalarAsync(ct) is not true)
            {
                await tx.RollbackAsync(ct);
                return null;
            }
        }

        await using var prune = new NpgsqlCommand(step.Sql, connection, tx);
        prune.Parameters.AddWithValue("Batch", batchSize);
        prune.Parameters.AddWithValue("Age", age);
        prune.Parameters.AddWithValue("Now", time.GetUtcNow());
        var touched = await prune.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return touched;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention {Step}: {Rows} rows in {Batches} batches")]
    private partial void LogPruned(string step, int rows, int batches);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Retention {Step}: another replica is on it; skipped")]
    private partial void LogSkipped(string step);
}

/// <summary>
/// Runs the service's prune steps every <see cref="RetentionOptions.Every"/>, the first time one period after start
/// (once the migrations are done). A failed run is logged, turns readiness Degraded (a prune that fails harms nothing
/// yet), and is tried again with the loops' back-off.
/// </summary>
public sealed class RetentionWorker(
    RetentionRunner runner, RetentionSteps steps, IOptions<RetentionOptions> options, BackgroundLoops loops, ILogger<RetentionWorker> logger)
    : BackgroundLoop(loops, new LoopSettings(LoopName, "Retention") { Idle = options.Value.Every, IdleFirst = true }, logger)
{
    /// <summary>The worker's health and readiness name.</summary>
    public const string LoopName = "retention";

    protected override async Task<LoopStep> StepAsync(CancellationToken ct)
    {
        await runner.RunAsync(steps.Steps, options.Value, ct);
        return LoopStep.Idle;
    }
}

public static class RetentionExtensions
{
    /// <summary>Prunes what the service's schema accumulates, with the service's own steps (see <see cref="RetentionOptions"/>).</summary>
    public static IServiceCollection AddRetention(this IServiceCollection services, params RetentionStep[] steps)
    {
        services.AddValidatedOptions<RetentionOptions>(RetentionOptions.Section);
        services.AddSingleton(new RetentionSteps(steps));
        services.AddSingleton<RetentionRunner>();
        services.AddHostedService<RetentionWorker>();
        services.AddHealthChecks().AddLoopCheck(RetentionWorker.LoopName);
        return services;
    }
}
