using Dapper;
using Npgsql;

namespace RecoveryComms.Orchestrator.Integrations;

/// <summary>A CRM endpoint and the events it receives. The secret is never part of it: it is shown once, at creation.</summary>
public sealed record WebhookSubscription(Guid Id, string Url, string[] Events, DateTime CreatedAt, string CreatedBy);

/// <summary>One event for one subscription, as the delivery log shows it.</summary>
public sealed record WebhookDelivery(
    long Id,
    Guid WebhookId,
    Guid EventId,
    string EventType,
    string Status,
    int Attempts,
    int? LastStatusCode,
    string? LastError,
    DateTime? NextAttemptAt,
    DateTime CreatedAt,
    DateTime ExpiresAt,
    DateTime? LastAttemptAt,
    DateTime? DeliveredAt);

public static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Pending, Delivered, Failed, Cancelled };
}

/// <summary>A due delivery as the dispatcher sends it.</summary>
public sealed record DueDelivery(
    long Id, Guid WebhookId, Guid EventId, string EventType, string Body, int Attempts, DateTime ExpiresAt, string Url, string Secret, bool Removed);

/// <summary>
/// Owns <c>orchestrator.webhook_subscriptions</c> and <c>orchestrator.webhook_deliveries</c> (the only class with their
/// SQL): subscriptions, the delivery rows written inside the callers' transactions, the dispatcher's claims and
/// their outcomes (<see cref="DeliveryClaim"/>), the delivery log, its age for the metrics and its pruning
/// (<see cref="CrmRetention"/>).
/// </summary>
public sealed class WebhookStore(NpgsqlDataSource dataSource)
{
    private const string InsertSubscriptionSql = """
        INSERT INTO orchestrator.webhook_subscriptions (id, url, events, secret, created_at, created_by)
        VALUES (@Id, @Url, @Events, @Secret, @CreatedAt, @CreatedBy)
        """;

    private const string SubscriptionsSql = """
        SELECT id, url, events, created_at AS CreatedAt, created_by AS CreatedBy
        FROM orchestrator.webhook_subscriptions
        WHERE deleted_at IS NULL
        ORDER BY created_at, id
        """;

    private const string RemoveSubscriptionSql = """
        UPDATE orchestrator.webhook_subscriptions SET deleted_at = @At WHERE id = @Id AND deleted_at IS NULL
        """;

    // Note: SKIP LOCKED leaves a delivery that is being sent right now to its dispatcher, which cancels it itself
    // if that attempt fails (the removal is committed by then); DELETE never waits for a slow CRM.
    private const string CancelPendingSql = """
        UPDATE orchestrator.webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL
        WHERE id IN (
            SELECT id FROM orchestrator.webhook_deliveries
            WHERE webhook_id = @Id AND status = 'pending'
            FOR UPDATE SKIP LOCKED)
        """;

    private const string EnqueueSql = """
        INSERT INTO orchestrator.webhook_deliveries (webhook_id, event_id, event_type, body, created_at, expires_at, next_attempt_at)
        SELECT s.id, @EventId, @EventType, @Body, @CreatedAt, @ExpiresAt, @CreatedAt
        FROM orchestrator.webhook_subscriptions s
        WHERE s.deleted_at IS NULL AND @EventType = ANY (s.events)
        """;

    private const string DeliveriesSql = """
        SELECT id, webhook_id AS WebhookId, event_id AS EventId, event_type AS EventType, status, attempts,
               last_status_code AS LastStatusCode, last_error AS LastError, next_attempt_at AS NextAttemptAt,
               created_at AS CreatedAt, expires_at AS ExpiresAt, last_attempt_at AS LastAttemptAt, delivered_at AS DeliveredAt
        FROM orchestrator.webhook_deliveries
        WHERE true
        """;

    // Note: the row lock is held while the delivery is sent (one short transaction per delivery, bounded by the
    // request timeout), so however many replicas dispatch, one delivery is in flight at most once; if a replica
    // dies mid-send, the lock goes with its connection and another replica retries.
    private const string ClaimSql = """
        SELECT d.id, d.webhook_id AS WebhookId, d.event_id AS EventId, d.event_type AS EventType, d.body, d.attempts,
               d.expires_at AS ExpiresAt, s.url, s.secret, s.deleted_at IS NOT NULL AS Removed
        FROM orchestrator.webhook_deliveries d
        JOIN orchestrator.webhook_subscriptions s ON s.id = d.webhook_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= @Now AND NOT (d.webhook_id = ANY (@Busy))
        ORDER BY d.next_attempt_at
        LIMIT 1
        FOR UPDATE OF d SKIP LOCKED
        """;

    private const string DeliveredSql = """
        UPDATE orchestrator.webhook_deliveries
        SET status = 'delivered', attempts = attempts + 1, last_attempt_at = @At, last_status_code = @StatusCode,
            last_error = NULL, delivered_at = @At, next_attempt_at = NULL
        WHERE id = @Id
        """;

    // A subscription removed while this attempt was under way: the delivery is cancelled, not retried.
    private const string AttemptFailedSql = """
        UPDATE orchestrator.webhook_deliveries d
        SET attempts = d.attempts + 1, last_attempt_at = @At, last_status_code = @StatusCode, last_error = @Error,
            status = CASE WHEN s.deleted_at IS NOT NULL THEN 'cancelled' WHEN @NextAttemptAt IS NULL THEN 'failed' ELSE 'pending' END,
            next_attempt_at = CASE WHEN s.deleted_at IS NOT NULL THEN NULL ELSE @NextAttemptAt END
        FROM orchestrator.webhook_subscriptions s
        WHERE d.id = @Id AND s.id = d.webhook_id
        RETURNING d.status
        """;

    private const string CancelSql = """
        UPDATE orchestrator.webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL WHERE id = @Id
        """;

    // Note: created_at is written in business time (the injected TimeProvider), so the age is taken from it too.
    private const string OldestPendingSql = """
        SELECT min(created_at) FROM orchestrator.webhook_deliveries WHERE status = 'pending'
        """;

    // Note: retention's two statements (CrmRetention runs them, a batch at a time). A delivery's times come from the
    // service's clock (this store writes them), so they are compared with @Now, not the database's now(). Settled
    // means delivered, failed or cancelled: a pending row is never touched, since every retry must send the exact
    // bytes the first attempt signed. The expression matches the indexes of 0042 and 0043.
    public const string EmptySettledBodiesSql = """
        UPDATE orchestrator.webhook_deliveries SET body = NULL WHERE id IN (
            SELECT id FROM orchestrator.webhook_deliveries
            WHERE status <> 'pending' AND body IS NOT NULL
              AND coalesce(delivered_at, last_attempt_at, created_at) < @Now - @Age
            ORDER BY coalesce(delivered_at, last_attempt_at, created_at)
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED)
        """;

    public const string DeleteSettledDeliveriesSql = """
        DELETE FROM orchestrator.webhook_deliveries WHERE id IN (
            SELECT id FROM orchestrator.webhook_deliveries
            WHERE status <> 'pending'
              AND coalesce(delivered_at, last_attempt_at, created_at) < @Now - @Age
            ORDER BY coalesce(delivered_at, last_attempt_at, created_at)
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED)
        """;

    public async Task CreateAsync(Guid id, string url, string[] events, string secret, DateTimeOffset at, string createdBy, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(InsertSubscriptionSql,
            new { Id = id, Url = url, Events = events, Secret = secret, CreatedAt = at, CreatedBy = createdBy }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<WebhookSubscription>> ListAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<SubscriptionRow>(new CommandDefinition(SubscriptionsSql, cancellationToken: ct));
        return rows.Select(r => new WebhookSubscription(r.Id, r.Url, r.Events, r.CreatedAt, r.CreatedBy)).ToList();
    }

    /// <summary>Removes a subscription and cancels its pending deliveries; false when there is no such live subscription.</summary>
    public async Task<bool> RemoveAsync(Guid id, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await connection.ExecuteAsync(new CommandDefinition(RemoveSubscriptionSql, new { Id = id, At = at }, tx, cancellationToken: ct)) == 0)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition(CancelPendingSql, new { Id = id }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Adds one delivery per live subscription to <paramref name="eventType"/>, inside the caller's transaction.</summary>
    public async Task<int> EnqueueAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid eventId, string eventType, string body, DateTimeOffset createdAt, DateTimeOffset expiresAt, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition(EnqueueSql,
            new { EventId = eventId, EventType = eventType, Body = body, CreatedAt = createdAt, ExpiresAt = expiresAt }, transaction, cancellationToken: ct));

    /// <summary>The delivery log, newest first; <paramref name="before"/> pages on from an earlier answer's last id.</summary>
    public async Task<IReadOnlyList<WebhookDelivery>> DeliveriesAsync(Guid? webhookId, string? status, long? before, int limit, CancellationToken ct)
    {
        // Note: only the filters given become part of the statement, so each combination gets a plan of its own
        // (the (webhook_id, id) index with a subscription, the primary key without one).
        var sql = DeliveriesSql
            + (webhookId is null ? "" : " AND webhook_id = @WebhookId")
            + (status is null ? "" : " AND status = @Status")
            + (before is null ? "" : " AND id < @Before")
            + " ORDER BY id DESC LIMIT @Limit";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<WebhookDelivery>(new CommandDefinition(sql,
            new { WebhookId = webhookId, Status = status, Before = before, Limit = limit }, cancellationToken: ct))).AsList();
    }

    /// <summary>
    /// Claims the most overdue pending delivery, skipping rows other dispatchers hold and the subscriptions in
    /// <paramref name="busy"/>; null when nothing is due. The claim holds its row until it is settled or disposed.
    /// </summary>
    public async Task<DeliveryClaim?> ClaimDueAsync(DateTimeOffset now, Guid[] busy, CancellationToken ct)
    {
        NpgsqlConnection? connection = await dataSource.OpenConnectionAsync(ct);
        NpgsqlTransaction? tx = null;
        try
        {
            tx = await connection.BeginTransactionAsync(ct);
            var due = await connection.QuerySingleOrDefaultAsync<DueDelivery>(new CommandDefinition(ClaimSql, new { Now = now, Busy = busy }, tx, cancellationToken: ct));
            if (due is not null)
            {
                var claim = new DeliveryClaim(connection, tx, due);
                tx = null;
                connection = null;
                return claim;
            }
        }
        finally
        {
            if (tx is not null)
            {
                await tx.DisposeAsync();
            }

            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }

        return null;
    }

    /// <summary>When the oldest delivery still pending was created (UTC); null when none is.</summary>
    public async Task<DateTime?> OldestPendingAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(OldestPendingSql);
        return await command.ExecuteScalarAsync(ct) is DateTime oldest ? oldest : null;
    }

    /// <summary>Records a claimed delivery as delivered, in the claim's transaction.</summary>
    internal static Task DeliveredAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, DateTimeOffset at, int statusCode, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(DeliveredSql, new { Id = id, At = at, StatusCode = statusCode }, transaction, cancellationToken: ct));

    /// <summary>Records a claimed delivery's failed attempt, in the claim's transaction; returns its new status.</summary>
    internal static async Task<string> AttemptFailedAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long id, DateTimeOffset at, int? statusCode, string error, DateTimeOffset? nextAttemptAt, CancellationToken ct) =>
        (await connection.ExecuteScalarAsync<string>(new CommandDefinition(AttemptFailedSql,
            new { Id = id, At = at, StatusCode = statusCode, Error = error, NextAttemptAt = nextAttemptAt }, transaction, cancellationToken: ct)))!;

    /// <summary>Cancels a claimed delivery, in the claim's transaction.</summary>
    internal static Task CancelAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(CancelSql, new { Id = id }, transaction, cancellationToken: ct));
}

// Note: Dapper cannot bind a text[] column to a record's constructor (Npgsql reports the column as Array), but
// it assigns one to a string[] property.
internal sealed class SubscriptionRow
{
    public Guid Id { get; init; }

    public string Url { get; init; } = "";

    public string[] Events { get; init; } = [];

    public DateTime CreatedAt { get; init; }

    public string CreatedBy { get; init; } = "";
}

/// <summary>
/// A delivery claimed by one dispatcher: its row stays locked until it is settled (committed) or disposed (rolled
/// back). Its outcome is written by <see cref="WebhookStore"/>, in the claim's transaction.
/// </summary>
public sealed class DeliveryClaim(NpgsqlConnection connection, NpgsqlTransaction transaction, DueDelivery delivery) : IAsyncDisposable
{
    public DueDelivery Delivery { get; } = delivery;

    public async Task DeliveredAsync(DateTimeOffset at, int statusCode, CancellationToken ct)
    {
        await WebhookStore.DeliveredAsync(connection, transaction, Delivery.Id, at, statusCode, ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>Records a failed attempt; <paramref name="nextAttemptAt"/> null marks the delivery failed. Returns the new status.</summary>
    public async Task<string> AttemptFailedAsync(DateTimeOffset at, int? statusCode, string error, DateTimeOffset? nextAttemptAt, CancellationToken ct)
    {
        var status = await WebhookStore.AttemptFailedAsync(connection, transaction, Delivery.Id, at, statusCode, error, nextAttemptAt, ct);
        await transaction.CommitAsync(ct);
        return status;
    }

    /// <summary>Cancels a delivery whose subscription was removed before it could be sent.</summary>
    public async Task CancelAsync(CancellationToken ct)
    {
        await WebhookStore.CancelAsync(connection, transaction, Delivery.Id, ct);
        await transaction.CommitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
