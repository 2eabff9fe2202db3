using Dapper;
using Npgsql;

namespace RecoveryComms.Webhooks.Capture.Messages;

/// <summary><c>webhooks.messages</c>: outbound message status, never moved backwards by a late callback.</summary>
public static class MessageStore
{
    private const string AdvanceSql = """
        INSERT INTO webhooks.messages (message_sid, status, status_rank, error_code, updated_at)
        VALUES (@MessageSid, @Status, @Rank, @ErrorCode, @At)
        ON CONFLICT (message_sid) DO UPDATE
        SET status = EXCLUDED.status, status_rank = EXCLUDED.status_rank,
            error_code = COALESCE(EXCLUDED.error_code, webhooks.messages.error_code), updated_at = EXCLUDED.updated_at
        WHERE webhooks.messages.status_rank < EXCLUDED.status_rank
        RETURNING true
        """;

    /// <summary>Twilio's message statuses in the order a message moves through them (callbacks arrive in any order).</summary>
    public static int Rank(string status) => status switch
    {
        "accepted" or "scheduled" or "queued" => 1,
        "sending" => 2,
        "sent" or "receiving" => 3,
        "delivered" or "undelivered" or "failed" or "canceled" or "received" or "partially_delivered" => 4,
        "read" => 5,
        _ => 0,
    };

    /// <summary>True when this callback moved the message to a newer status.</summary>
    public static async Task<bool> TryAdvanceAsync(NpgsqlConnection c, NpgsqlTransaction tx, string messageSid, string status, int? errorCode, DateTimeOffset at, CancellationToken ct)
    {
        var rank = Rank(status);
        return rank > 0 && await c.ExecuteScalarAsync<bool?>(new CommandDefinition(
            AdvanceSql, new { MessageSid = messageSid, Status = status, Rank = rank, ErrorCode = errorCode, At = at }, tx, cancellationToken: ct)) == true;
    }
}
