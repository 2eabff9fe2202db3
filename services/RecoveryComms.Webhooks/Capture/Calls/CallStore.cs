using Dapper;
using Npgsql;

namespace RecoveryComms.Webhooks.Capture.Calls;

/// <summary>What is known of an inbound call, for the events it produces.</summary>
public sealed record CallContext(string Caller, bool CallerWithheld, string ShopLine, bool AfterHours, bool Internal);

public sealed record NewCall(string CallSid, string Caller, bool CallerWithheld, string ShopLine, bool AfterHours, bool Internal, DateTimeOffset StartedAt);

public sealed record VoicemailRow(
    string RecordingSid,
    string CallSid,
    string? RecordingStatus,
    string? RecordingUrl,
    int? DurationSeconds,
    DateTime? RecordedAt,
    string? TranscriptionSid,
    string? TranscriptionStatus,
    string? TranscriptionText,
    bool CapturedPublished,
    bool TranscriptionPublished,
    string? Caller,
    bool? CallerWithheld,
    string? ShopLine,
    bool? AfterHours,
    bool? Internal);

/// <summary><c>webhooks.calls</c> and <c>webhooks.voicemails</c>: call state merged from out-of-order callbacks.</summary>
public static class CallStore
{
    public static readonly string[] TerminalStatuses = ["completed", "busy", "failed", "no-answer", "canceled"];

    // Creates the call and, in the same round trip, names the voicemails that arrived before it and waited.
    private const string InsertCallSql = """
        WITH created AS (
            INSERT INTO webhooks.calls (call_sid, caller, caller_withheld, shop_line, after_hours, internal, started_at)
            VALUES (@CallSid, @Caller, @CallerWithheld, @ShopLine, @AfterHours, @Internal, @StartedAt)
            ON CONFLICT (call_sid) DO NOTHING
            RETURNING call_sid)
        SELECT v.recording_sid FROM webhooks.voicemails v JOIN created c ON c.call_sid = v.call_sid
        WHERE NOT v.captured_published
        """;

    // Note: the newest status wins. Twilio's SequenceNumber orders events of one call; without it the
    // Timestamp does. A terminal status is never replaced by a late non-terminal one.
    private const string ApplyStatusSql = """
        UPDATE webhooks.calls
        SET status = @Status, status_sequence = @Sequence, status_at = @At
        WHERE call_sid = @CallSid
          AND (status IS NULL OR NOT (status = ANY(@Terminal)) OR @Status = ANY(@Terminal))
          AND (status_sequence IS NULL OR @Sequence IS NULL OR status_sequence < @Sequence)
          AND (status_at IS NULL OR @Sequence IS NOT NULL OR status_at <= @At)
        """;

    // Note: outcome is decided once. Whichever callback gets here first (dial result, final status, after-hours
    // greeting) sets it; the UPDATE's row lock serialises concurrent callbacks, so one call yields one event.
    // The dial result, when there is one, is recorded in the same statement.
    private const string DecideOutcomeSql = """
        WITH current AS (SELECT call_sid, outcome AS before FROM webhooks.calls WHERE call_sid = @CallSid FOR UPDATE)
        UPDATE webhooks.calls c
        SET dial_status = COALESCE(@DialStatus, c.dial_status),
            answered = c.answered OR @Answered,
            outcome = CASE
                WHEN c.outcome IS NOT NULL THEN c.outcome
                WHEN @Outcome <> 'answered' AND (c.answered OR @Answered) THEN NULL
                WHEN c.internal THEN 'internal'
                ELSE @Outcome END
        FROM current
        WHERE c.call_sid = current.call_sid
        RETURNING current.before IS NULL AND c.outcome IS NOT NULL AS Decided,
                  c.caller AS Caller, c.caller_withheld AS CallerWithheld, c.shop_line AS ShopLine,
                  c.after_hours AS AfterHours, c.internal AS Internal
        """;

    private const string UpsertRecordingSql = """
        INSERT INTO webhooks.voicemails (recording_sid, call_sid, recording_status, recording_url, duration_seconds, recorded_at)
        VALUES (@RecordingSid, @CallSid, @Status, @Url, @Duration, @At)
        ON CONFLICT (recording_sid) DO UPDATE
        SET recording_status = EXCLUDED.recording_status, recording_url = EXCLUDED.recording_url,
            duration_seconds = EXCLUDED.duration_seconds, recorded_at = EXCLUDED.recorded_at
        WHERE webhooks.voicemails.recording_status IS DISTINCT FROM 'completed'
        """;

    private const string UpsertTranscriptionSql = """
        INSERT INTO webhooks.voicemails (recording_sid, call_sid, transcription_sid, transcription_status, transcription_text)
        VALUES (@RecordingSid, @CallSid, @TranscriptionSid, @Status, @Text)
        ON CONFLICT (recording_sid) DO UPDATE
        SET transcription_sid = EXCLUDED.transcription_sid, transcription_status = EXCLUDED.transcription_status,
            transcription_text = EXCLUDED.transcription_text
        """;

    private const string LockVoicemailSql = """
        SELECT v.recording_sid AS RecordingSid, v.call_sid AS CallSid, v.recording_status AS RecordingStatus,
               v.recording_url AS RecordingUrl, v.duration_seconds AS DurationSeconds, v.recorded_at AS RecordedAt,
               v.transcription_sid AS TranscriptionSid, v.transcription_status AS TranscriptionStatus,
               v.transcription_text AS TranscriptionText, v.captured_published AS CapturedPublished,
               v.transcription_published AS TranscriptionPublished,
               c.caller AS Caller, c.caller_withheld AS CallerWithheld, c.shop_line AS ShopLine,
               c.after_hours AS AfterHours, c.internal AS Internal
        FROM webhooks.voicemails v LEFT JOIN webhooks.calls c ON c.call_sid = v.call_sid
        WHERE v.recording_sid = @RecordingSid
        FOR UPDATE OF v
        """;

    private const string MarkVoicemailSql = """
        UPDATE webhooks.voicemails SET captured_published = @Captured, transcription_published = @Transcribed
        WHERE recording_sid = @RecordingSid
        """;

    /// <summary>Serialises the callbacks of one call until the transaction ends (a row lock needs a row; the call may have none yet).</summary>
    public static Task LockCallAsync(NpgsqlConnection c, NpgsqlTransaction tx, string callSid, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtextextended('webhooks.call:' || @CallSid, 0))",
            new { CallSid = callSid }, tx, cancellationToken: ct));

    /// <summary>Creates the call row if it is new; returns the voicemails that were waiting for it.</summary>
    public static async Task<IReadOnlyList<string>> InsertAsync(NpgsqlConnection c, NpgsqlTransaction tx, NewCall call, CancellationToken ct) =>
        (await c.QueryAsync<string>(new CommandDefinition(InsertCallSql, call, tx, cancellationToken: ct))).AsList();

    public static Task ApplyStatusAsync(NpgsqlConnection c, NpgsqlTransaction tx, string callSid, string status, int? sequence, DateTimeOffset at, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(ApplyStatusSql, new { CallSid = callSid, Status = status, Sequence = sequence, At = at, Terminal = TerminalStatuses }, tx, cancellationToken: ct));

    /// <summary>
    /// Records the dial result (if any) and sets the call's outcome if none was set; returns the call when this
    /// callback decided a missed or abandoned outcome (an answered call never becomes missed or abandoned).
    /// </summary>
    public static async Task<CallContext?> DecideOutcomeAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, string callSid, string outcome, CancellationToken ct, string? dialStatus = null, bool answered = false)
    {
        var row = await c.QuerySingleOrDefaultAsync<DecidedRow>(new CommandDefinition(
            DecideOutcomeSql, new { CallSid = callSid, Outcome = outcome, DialStatus = dialStatus, Answered = answered }, tx, cancellationToken: ct));
        return row is { Decided: true } ? new CallContext(row.Caller, row.CallerWithheld, row.ShopLine, row.AfterHours, row.Internal) : null;
    }

    private sealed record DecidedRow(bool Decided, string Caller, bool CallerWithheld, string ShopLine, bool AfterHours, bool Internal);

    public static Task UpsertRecordingAsync(NpgsqlConnection c, NpgsqlTransaction tx, string recordingSid, string callSid, string status, string? url, int? duration, DateTimeOffset at, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(UpsertRecordingSql, new { RecordingSid = recordingSid, CallSid = callSid, Status = status, Url = url, Duration = duration, At = at }, tx, cancellationToken: ct));

    public static Task UpsertTranscriptionAsync(NpgsqlConnection c, NpgsqlTransaction tx, string recordingSid, string callSid, string? transcriptionSid, string status, string text, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(UpsertTranscriptionSql, new { RecordingSid = recordingSid, CallSid = callSid, TranscriptionSid = transcriptionSid, Status = status, Text = text }, tx, cancellationToken: ct));

    public static Task<VoicemailRow> LockVoicemailAsync(NpgsqlConnection c, NpgsqlTransaction tx, string recordingSid, CancellationToken ct) =>
        c.QuerySingleAsync<VoicemailRow>(new CommandDefinition(LockVoicemailSql, new { RecordingSid = recordingSid }, tx, cancellationToken: ct));

    public static Task MarkVoicemailAsync(NpgsqlConnection c, NpgsqlTransaction tx, string recordingSid, bool captured, bool transcribed, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(MarkVoicemailSql, new { RecordingSid = recordingSid, Captured = captured, Transcribed = transcribed }, tx, cancellationToken: ct));
}
