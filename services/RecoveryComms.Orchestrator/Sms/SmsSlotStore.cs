using Dapper;
using Npgsql;

namespace RecoveryComms.Orchestrator.Sms;

/// <summary>An SMS of the loop that the gate has not decided yet (or whose outcome is unknown), with the number it goes to.</summary>
public sealed record PendingSms(Guid SendId, string Body, string Phone);

/// <summary>
/// <c>orchestrator.recovery_sms</c>, the loop's one SMS slot: the one class that writes it. Its unique index on the
/// item's live send is what makes a second SMS in one loop impossible, whatever two replicas do at once.
/// </summary>
public static class SmsSlotStore
{
    /// <summary>Takes the item's slot for a send; false when another send holds it (the unique index).</summary>
    public static async Task<bool> TryReserveAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid sendId, Guid itemId, Guid? by, string body, DateTimeOffset at, CancellationToken ct)
    {
        try
        {
            await c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO orchestrator.recovery_sms (send_id, item_id, requested_by, body, status, requested_at)
                VALUES (@SendId, @ItemId, @By, @Body, 'requested', @At)
                """, new { SendId = sendId, ItemId = itemId, By = by, Body = body, At = at }, tx, cancellationToken: ct));
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return false;
        }
    }

    /// <summary>The gate's decision on a send still undecided; its item, or null when it was decided before (a repeat).</summary>
    public static Task<Guid?> DecideAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, Guid sendId, string status, IReadOnlyList<string> reasons, string? messageSid, DateTimeOffset at, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            """
            UPDATE orchestrator.recovery_sms SET status = @Status, reasons = @Reasons, message_sid = @Sid, decided_at = @At
            WHERE send_id = @SendId AND status IN ('requested', 'unknown') RETURNING item_id
            """, new { Status = status, Reasons = reasons.ToArray(), Sid = messageSid, At = at, SendId = sendId }, tx, cancellationToken: ct));

    /// <summary>Twilio's delivery status of a sent SMS; its item, or null when nothing changed.</summary>
    public static Task<Guid?> DeliveryAsync(NpgsqlConnection c, NpgsqlTransaction tx, string messageSid, string status, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "UPDATE orchestrator.recovery_sms SET delivery = @Status WHERE message_sid = @Sid AND delivery IS DISTINCT FROM @Status RETURNING item_id",
            new { Status = status, Sid = messageSid }, tx, cancellationToken: ct));

    /// <summary>The item's send that still waits on the gate, or null.</summary>
    public static Task<PendingSms?> PendingAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid itemId, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<PendingSms?>(new CommandDefinition(
            """
            SELECT s.send_id, s.body, i.phone FROM orchestrator.recovery_sms s JOIN orchestrator.recovery_items i ON i.id = s.item_id
            WHERE s.item_id = @ItemId AND s.status IN ('requested', 'unknown')
            """, new { ItemId = itemId }, tx, cancellationToken: ct));
}
