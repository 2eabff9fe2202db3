using Dapper;
using Npgsql;

namespace RecoveryComms.Consent.Sending;

public static class SmsSendStatus
{
    /// <summary>Claimed; an attempt is under way, or died before it could record its outcome.</summary>
    public const string Sending = "sending";
    public const string Refused = "refused";
    public const string Sent = "sent";
    public const string Failed = "failed";

    /// <summary>Twilio may or may not have accepted the text; the reconciler settles it.</summary>
    public const string Unknown = "unknown";
}

/// <summary>One row of <c>consent.sms_sends</c>.</summary>
public sealed class SmsSend
{
    public Guid Id { get; init; }

    public string Phone { get; init; } = "";

    public string Body { get; init; } = "";

    public string Status { get; init; } = "";

    public string[] Reasons { get; init; } = [];

    public string? MessageSid { get; init; }

    /// <summary>When the SendId was claimed, just before Twilio was (or would have been) called. UTC.</summary>
    public DateTime DecidedAt { get; init; }

    public int Checks { get; init; }
}

/// <summary>
/// Owns <c>consent.sms_sends</c> (the only class with its SQL): every text the gate was asked to send, claimed before Twilio is called and
/// settled afterwards by the gate or the reconciler. Columns map by alias (<c>message_sid AS MessageSid</c>).
/// </summary>
public static class SmsSendStore
{
    private const string Columns = "id, phone, body, status, reasons, message_sid AS MessageSid, decided_at AS DecidedAt, checks";

    private const string ClaimSql = """
        INSERT INTO consent.sms_sends (id, phone, body, status, decided_at, check_after)
        VALUES (@Id, @Phone, @Body, 'sending', @At, @CheckAfter)
        ON CONFLICT (id) DO NOTHING
        """;

    private const string FindSql = $"SELECT {Columns} FROM consent.sms_sends WHERE id = @Id";

    private const string SettleSql = """
        UPDATE consent.sms_sends
        SET status = @Status, reasons = @Reasons, message_sid = @MessageSid, error_code = @ErrorCode,
            check_after = @CheckAfter, resolved_at = CASE WHEN @CheckAfter::timestamptz IS NULL THEN @At END
        WHERE id = @Id
        """;

    private const string ReleaseSql = "DELETE FROM consent.sms_sends WHERE id = @Id AND status = 'sending'";

    // Note: SKIP LOCKED passes over a claim whose attempt still holds it (the gate locks its row while it calls
    // Twilio) and over a row another reconciler replica is settling.
    private const string NextDueSql = $"""
        SELECT {Columns} FROM consent.sms_sends
        WHERE status IN ('sending', 'unknown') AND check_after <= @Now
        ORDER BY check_after
        LIMIT 1
        FOR UPDATE SKIP LOCKED
        """;

    private const string TakenSql = "SELECT message_sid FROM consent.sms_sends WHERE message_sid = ANY(@Sids)";

    private const string PostponeSql = "UPDATE consent.sms_sends SET check_after = @CheckAfter, checks = checks + 1 WHERE id = @Id";

    private const string ResolveSql = """
        UPDATE consent.sms_sends
        SET status = @Status, reasons = @Reasons, message_sid = @MessageSid, check_after = NULL, checks = checks + 1, resolved_at = @At
        WHERE id = @Id
        """;

    /// <summary>
    /// Holds the SendId for this session (across its transactions) until <see cref="UnlockSendIdAsync"/> or the
    /// connection closes: a second request with the same SendId waits here, then finds the first one's outcome.
    /// </summary>
    public static Task LockSendIdAsync(NpgsqlConnection c, Guid sendId, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@Key)", new { Key = LockKey(sendId) }, cancellationToken: ct));

    public static Task UnlockSendIdAsync(NpgsqlConnection c, Guid sendId) =>
        c.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@Key)", new { Key = LockKey(sendId) }, cancellationToken: CancellationToken.None));

    /// <summary>Claims the SendId in its own committed row; false when it was claimed before.</summary>
    public static async Task<bool> ClaimAsync(NpgsqlConnection c, Guid id, string phone, string body, DateTimeOffset at, DateTimeOffset checkAfter, CancellationToken ct) =>
        await c.ExecuteAsync(new CommandDefinition(ClaimSql, new { Id = id, Phone = phone, Body = body, At = at, CheckAfter = checkAfter }, cancellationToken: ct)) == 1;

    public static Task<SmsSend?> FindAsync(NpgsqlConnection c, NpgsqlTransaction? tx, Guid id, bool forUpdate, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<SmsSend>(new CommandDefinition(FindSql + (forUpdate ? " FOR UPDATE" : ""), new { Id = id }, tx, cancellationToken: ct));

    /// <summary>Records the gate's outcome; a null <paramref name="checkAfter"/> settles it, a time leaves it to the reconciler.</summary>
    public static Task SettleAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, Guid id, string status, IReadOnlyList<string> reasons, string? messageSid, int? errorCode,
        DateTimeOffset? checkAfter, DateTimeOffset at, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(SettleSql, new
        {
            Id = id, Status = status, Reasons = reasons.ToArray(), MessageSid = messageSid, ErrorCode = errorCode, CheckAfter = checkAfter, At = at,
        }, tx, cancellationToken: ct));

    /// <summary>Gives a claim back when its attempt failed before Twilio was called, so a retry may send.</summary>
    public static Task ReleaseAsync(NpgsqlConnection c, Guid id) =>
        c.ExecuteAsync(new CommandDefinition(ReleaseSql, new { Id = id }, cancellationToken: CancellationToken.None));

    public static Task<SmsSend?> NextDueAsync(NpgsqlConnection c, NpgsqlTransaction tx, DateTimeOffset now, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<SmsSend>(new CommandDefinition(NextDueSql, new { Now = now }, tx, cancellationToken: ct));

    /// <summary>Which of these Twilio messages already settle a send.</summary>
    public static async Task<IReadOnlySet<string>> TakenAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<string> sids, CancellationToken ct) =>
        (await c.QueryAsync<string>(new CommandDefinition(TakenSql, new { Sids = sids.ToArray() }, tx, cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);

    public static Task PostponeAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid id, DateTimeOffset checkAfter, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(PostponeSql, new { Id = id, CheckAfter = checkAfter }, tx, cancellationToken: ct));

    public static Task ResolveAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, Guid id, string status, IReadOnlyList<string> reasons, string? messageSid, DateTimeOffset at, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(ResolveSql, new { Id = id, Status = status, Reasons = reasons.ToArray(), MessageSid = messageSid, At = at }, tx, cancellationToken: ct));

    // Note: one 64-bit advisory key per SendId. A collision only makes two unrelated sends wait for each other.
    private static long LockKey(Guid sendId)
    {
        Span<byte> bytes = stackalloc byte[16];
        sendId.TryWriteBytes(bytes);
        return BitConverter.ToInt64(bytes[..8]) ^ BitConverter.ToInt64(bytes[8..]);
    }
}
