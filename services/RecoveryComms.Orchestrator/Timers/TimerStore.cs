using Dapper;
using Npgsql;

namespace RecoveryComms.Orchestrator.Timers;

/// <summary>Timer kinds: on an item, or the shop's own (no item).</summary>
public static class TimerKinds
{
    public const string ClockStart = "clock-start";
    public const string FirstAttemptDue = "first-attempt-due";
    public const string SlaDue = "sla-due";
    public const string LimboCheck = "limbo-check";
    public const string AttemptSettle = "attempt-settle";

    /// <summary>Armed with every click-to-call: asks Twilio about an attempt that has not settled (see <c>AttemptCheckTimer</c>).</summary>
    public const string AttemptCheck = "attempt-check";
    public const string SmsRecheck = "sms-recheck";
    public const string EndOfDay = "end-of-day";
}

/// <summary>A due timer claimed by this replica.</summary>
public sealed record DueTimer(long Id, string Kind, Guid? ItemId, DateTime DueAt, int Failures);

/// <summary>
/// <c>orchestrator.timers</c>: durable timers. Arming is an upsert (one pending timer per item and kind), so
/// re-arming moves it; a timer is claimed (<c>FOR UPDATE SKIP LOCKED</c>) and deleted in the transaction of its
/// effect, so it fires once across replicas and survives restarts.
/// </summary>
public static class TimerStore
{
    private const string ArmItemSql = """
        INSERT INTO orchestrator.timers (kind, item_id, due_at) VALUES (@Kind, @ItemId, @DueAt)
        ON CONFLICT (item_id, kind) WHERE item_id IS NOT NULL DO UPDATE SET due_at = EXCLUDED.due_at, failures = 0, last_error = NULL
        """;

    private const string ArmShopSql = """
        INSERT INTO orchestrator.timers (kind, item_id, due_at) VALUES (@Kind, NULL, @DueAt)
        ON CONFLICT (kind) WHERE item_id IS NULL DO UPDATE SET due_at = EXCLUDED.due_at, failures = 0, last_error = NULL
        """;

    private const string EnsureShopSql = """
        INSERT INTO orchestrator.timers (kind, item_id, due_at) VALUES (@Kind, NULL, @DueAt)
        ON CONFLICT (kind) WHERE item_id IS NULL DO NOTHING
        """;

    // Note: claimed and deleted in one statement; a handler that fails rolls the delete back with its own work.
    private const string ClaimSql = """
        DELETE FROM orchestrator.timers WHERE id = (
            SELECT id FROM orchestrator.timers WHERE due_at <= @Now ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, kind, item_id AS ItemId, due_at AS DueAt, failures
        """;

    public static Task ArmAsync(NpgsqlConnection c, NpgsqlTransaction tx, string kind, Guid itemId, DateTimeOffset dueAt, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(ArmItemSql, new { Kind = kind, ItemId = itemId, DueAt = dueAt }, tx, cancellationToken: ct));

    public static Task ArmShopAsync(NpgsqlConnection c, NpgsqlTransaction tx, string kind, DateTimeOffset dueAt, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(ArmShopSql, new { Kind = kind, DueAt = dueAt }, tx, cancellationToken: ct));

    /// <summary>Creates a shop timer unless one is pending (every replica does this at start).</summary>
    public static Task EnsureShopAsync(NpgsqlConnection c, string kind, DateTimeOffset dueAt, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(EnsureShopSql, new { Kind = kind, DueAt = dueAt }, cancellationToken: ct));

    /// <summary>Cancels an item's pending timers of the given kinds (all of them when none are given).</summary>
    public static Task CancelAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid itemId, CancellationToken ct, params string[] kinds) =>
        c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM orchestrator.timers WHERE item_id = @ItemId AND (cardinality(@Kinds) = 0 OR kind = ANY(@Kinds))",
            new { ItemId = itemId, Kinds = kinds }, tx, cancellationToken: ct));

    public static Task<DueTimer?> ClaimAsync(NpgsqlConnection c, NpgsqlTransaction tx, DateTimeOffset now, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<DueTimer>(new CommandDefinition(ClaimSql, new { Now = now }, tx, cancellationToken: ct));

    /// <summary>A handler failed (its transaction, with the claim, rolled back): try again later, keeping the error for the log.</summary>
    public static async Task PostponeAsync(NpgsqlDataSource dataSource, long id, DateTimeOffset dueAt, string error, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE orchestrator.timers SET due_at = @DueAt, failures = failures + 1, last_error = @Error WHERE id = @Id",
            new { Id = id, DueAt = dueAt, Error = error }, cancellationToken: ct));
    }
}
