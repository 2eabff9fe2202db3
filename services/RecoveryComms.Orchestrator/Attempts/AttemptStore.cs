using Dapper;
using Npgsql;

namespace RecoveryComms.Orchestrator.Attempts;

/// <summary>
/// <c>orchestrator.call_attempts</c>: the one class that writes it (the views and the review only read it). Every
/// method runs in the caller's transaction, beside the change of the item it belongs to.
/// </summary>
public static class AttemptStore
{
    private const string Columns = """
        id, item_id, csr_id, started_at, result, counts, csr_call_sid, ended_at, csr_phone, shop_line, customer_call_sid,
        csr_leg_status, customer_leg_status, answered_by, voicemail_left
        """;

    /// <summary>Results of an attempt that is still live: placing, ringing the CSR, connecting to the customer.</summary>
    private const string Live = "result IN ('placing', 'ringing-csr', 'connecting')";

    /// <summary>A new attempt (result <c>placing</c>); false when one is live already (the partial unique index on live attempts).</summary>
    public static async Task<bool> TryInsertAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, Guid id, Guid itemId, Guid csrId, DateTimeOffset at, bool recorded, string csrPhone, string shopLine, CancellationToken ct)
    {
        try
        {
            await c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO orchestrator.call_attempts (id, item_id, csr_id, started_at, recorded, csr_phone, shop_line)
                VALUES (@Id, @ItemId, @CsrId, @At, @Recorded, @CsrPhone, @ShopLine)
                """,
                new { Id = id, ItemId = itemId, CsrId = csrId, At = at, Recorded = recorded, CsrPhone = csrPhone, ShopLine = shopLine }, tx, cancellationToken: ct));
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return false;
        }
    }

    /// <summary>The attempt, locked; null when there is none.</summary>
    public static Task<CallAttempt?> LockAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid id, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<CallAttempt?>(new CommandDefinition(
            $"SELECT {Columns} FROM orchestrator.call_attempts WHERE id = @Id FOR UPDATE", new { Id = id }, tx, cancellationToken: ct));

    /// <summary>The attempt whose CSR leg is <paramref name="callSid"/> or, for a customer leg, its <paramref name="parentCallSid"/>; locked.</summary>
    public static Task<CallAttempt?> LockByCallAsync(NpgsqlConnection c, NpgsqlTransaction tx, string callSid, string? parentCallSid, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<CallAttempt?>(new CommandDefinition(
            $"SELECT {Columns} FROM orchestrator.call_attempts WHERE csr_call_sid = @Sid OR csr_call_sid = @Parent FOR UPDATE",
            new { Sid = callSid, Parent = parentCallSid ?? "-" }, tx, cancellationToken: ct));

    /// <summary>The item's live attempt, locked; null when none is live.</summary>
    public static Task<CallAttempt?> LockLiveAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid itemId, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<CallAttempt?>(new CommandDefinition(
            $"SELECT {Columns} FROM orchestrator.call_attempts WHERE item_id = @ItemId AND {Live} FOR UPDATE", new { ItemId = itemId }, tx, cancellationToken: ct));

    /// <summary>Twilio's SID of the CSR's leg, from the create's answer (outside any transaction: the call is placed whatever happens here).</summary>
    public static Task StoreCsrCallSidAsync(NpgsqlConnection c, Guid id, string sid, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            "UPDATE orchestrator.call_attempts SET csr_call_sid = @Sid, result = CASE WHEN result = 'placing' THEN 'ringing-csr' ELSE result END WHERE id = @Id AND csr_call_sid IS NULL",
            new { Sid = sid, Id = id }, cancellationToken: ct));

    /// <summary>The SID found in Twilio's list, or on a report, for an attempt whose create's answer was lost.</summary>
    public static Task AdoptCsrCallSidAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid id, string sid, bool ringing, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            ringing
                ? "UPDATE orchestrator.call_attempts SET csr_call_sid = @Sid, result = CASE WHEN result = 'placing' THEN 'ringing-csr' ELSE result END WHERE id = @Id"
                : "UPDATE orchestrator.call_attempts SET csr_call_sid = @Sid WHERE id = @Id",
            new { Sid = sid, Id = id }, tx, cancellationToken: ct));

    /// <summary>Which of these SIDs another attempt has already.</summary>
    public static async Task<IReadOnlySet<string>> TakenSidsAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyCollection<string> sids, CancellationToken ct) =>
        sids.Count == 0
            ? new HashSet<string>(StringComparer.Ordinal)
            : (await c.QueryAsync<string>(new CommandDefinition(
                "SELECT csr_call_sid FROM orchestrator.call_attempts WHERE csr_call_sid = ANY(@Sids)", new { Sids = sids.ToArray() }, tx, cancellationToken: ct)))
                .ToHashSet(StringComparer.Ordinal);

    /// <summary>The legs' statuses and the result after a report; <paramref name="finished"/> stamps the end.</summary>
    public static Task SaveLegsAsync(NpgsqlConnection c, NpgsqlTransaction tx, CallAttempt attempt, bool finished, DateTimeOffset at, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        return c.ExecuteAsync(new CommandDefinition(
            """
            UPDATE orchestrator.call_attempts SET result = @Result, customer_call_sid = @CustomerCallSid, csr_leg_status = @CsrLegStatus,
                customer_leg_status = @CustomerLegStatus, answered_by = @AnsweredBy, ended_at = CASE WHEN @Finished THEN @At ELSE ended_at END
            WHERE id = @Id
            """, new
            {
                attempt.Result, attempt.CustomerCallSid, attempt.CsrLegStatus, attempt.CustomerLegStatus, attempt.AnsweredBy,
                Finished = finished, At = at, attempt.Id,
            }, tx, cancellationToken: ct));
    }

    /// <summary>Settles a live attempt as never placed; its item, or null when it had settled meanwhile.</summary>
    public static Task<Guid?> NotPlacedAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid id, string error, DateTimeOffset at, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            $"""
            UPDATE orchestrator.call_attempts SET result = 'not-placed', counts = false, ended_at = @At, error = @Error
            WHERE id = @Id AND {Live}
            RETURNING item_id
            """, new { Id = id, At = at, Error = error }, tx, cancellationToken: ct));

    /// <summary>Settles the item's live attempt whose customer leg never reported as cancelled; its id, or null when there is none.</summary>
    public static Task<Guid?> CancelUndialledAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid itemId, DateTime at, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            $"""
            UPDATE orchestrator.call_attempts SET result = 'canceled', ended_at = @At
            WHERE item_id = @ItemId AND {Live} AND customer_leg_status IS NULL
            RETURNING id
            """, new { ItemId = itemId, At = at }, tx, cancellationToken: ct));

    /// <summary>The attempt no longer counts; what still counts for its item (how many, and when the first was).</summary>
    public static async Task<(int Counted, DateTime? First)> UncountAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid id, Guid itemId, CancellationToken ct)
    {
        await c.ExecuteAsync(new CommandDefinition("UPDATE orchestrator.call_attempts SET counts = false WHERE id = @Id", new { Id = id }, tx, cancellationToken: ct));
        var counted = await c.QuerySingleAsync<(long Count, DateTime? First)>(new CommandDefinition(
            "SELECT count(*), min(started_at) FROM orchestrator.call_attempts WHERE item_id = @ItemId AND counts", new { ItemId = itemId }, tx, cancellationToken: ct));
        return ((int)counted.Count, counted.First);
    }

    /// <summary>The voicemail the CSR left goes on the item's latest counted attempt.</summary>
    public static Task MarkVoicemailLeftAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid itemId, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            """
            UPDATE orchestrator.call_attempts SET voicemail_left = true
            WHERE id = (SELECT id FROM orchestrator.call_attempts WHERE item_id = @ItemId AND counts ORDER BY started_at DESC LIMIT 1)
            """, new { ItemId = itemId }, tx, cancellationToken: ct));

    /// <summary>
    /// The recording of an attempt's call; its item, or null when it was stored before (a repeat) or no attempt knows
    /// the call (<see cref="KnowsCallAsync"/> tells which).
    /// </summary>
    public static Task<Guid?> RecordingAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, string callSid, string recordingSid, string? recordingUrl, int? seconds, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            """
            UPDATE orchestrator.call_attempts SET recording_sid = @RecordingSid, recording_url = @RecordingUrl, recording_seconds = @Seconds, recorded = true
            WHERE (csr_call_sid = @CallSid OR customer_call_sid = @CallSid) AND recording_sid IS DISTINCT FROM @RecordingSid
            RETURNING item_id
            """, new { RecordingSid = recordingSid, RecordingUrl = recordingUrl, Seconds = seconds, CallSid = callSid }, tx, cancellationToken: ct));

    public static Task<bool> KnowsCallAsync(NpgsqlConnection c, NpgsqlTransaction tx, string callSid, CancellationToken ct) =>
        c.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM orchestrator.call_attempts WHERE csr_call_sid = @CallSid OR customer_call_sid = @CallSid)",
            new { CallSid = callSid }, tx, cancellationToken: ct));
}
