using Dapper;
using Npgsql;

namespace RecoveryComms.Webhooks.Capture;

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

    private const string InsertCallSql = """
        INSERT INTO webhooks.calls (call_sid, caller, caller_withheld, shop_line, after_hours, internal, started_at)
        VALUES (@CallSid, @Caller, @CallerWithheld, @ShopLine, @AfterHours, @Internal, @StartedAt)
        ON CONFLICT (call_sid) DO NOTHING
        RETURNING true
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

    private const string DialResultSql = """
        UPDATE webhooks.calls SET dial_status = @DialStatus, answered = answered OR @Answered WHERE call_sid = @CallSid
        """;

    // Note: outcome is decided once. Whichever callback gets here first (dial result, final status, after-hours
    // greeting) sets it; the UPDATE's row lock serialises concurrent callbacks, so one call yields one event.
    private const string DecideOutcomeSql = """
        UPDATE webhooks.calls SET outcome = CASE WHEN internal THEN 'internal' ELSE @Outcome END
        WHERE call_sid = @CallSid AND outcome IS NULL AND (NOT answered OR @Outcome = 'answered')
        RETURNING caller AS Caller, caller_withheld AS CallerWithheld, shop_line AS ShopLine, after_hours AS AfterHours, internal AS Internal
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

    private const string PendingVoicemailsSql = """
        SELECT recording_sid FROM webhooks.voicemails WHERE call_sid = @CallSid AND NOT captured_published
        """;

    /// <summary>Creates the call row; true when this callback created it.</summary>
    public static async Task<bool> InsertAsync(NpgsqlConnection c, NpgsqlTransaction tx, NewCall call, CancellationToken ct) =>
        await c.ExecuteScalarAsync<bool?>(new CommandDefinition(InsertCallSql, call, tx, cancellationToken: ct)) == true;

    public static Task ApplyStatusAsync(NpgsqlConnection c, NpgsqlTransaction tx, string callSid, string status, int? sequence, DateTimeOffset at, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(ApplyStatusSql, new { CallSid = callSid, Status = status, Sequence = sequence, At = at, Terminal = TerminalStatuses }, tx, cancellationToken: ct));

    public static Task RecordDialResultAsync(NpgsqlConnection c, NpgsqlTransaction tx, string callSid, string dialStatus, bool answered, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(DialResultSql, new { CallSid = callSid, DialStatus = dialStatus, Answered = answered }, tx, cancellationToken: ct));

    /// <summary>Sets the call's outcome if none was set; returns the call when this callback decided it.</summary>
    public static Task<CallContext?> DecideOutcomeAsync(NpgsqlConnection c, NpgsqlTransaction tx, string callSid, string outcome, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<CallContext>(new CommandDefinition(DecideOutcomeSql, new { CallSid = callSid, Outcome = outcome }, tx, cancellationToken: ct));

    public static Task UpsertRecordingAsync(NpgsqlConnection c, NpgsqlTransaction tx, string recordingSid, string callSid, string status, string? url, int? duration, DateTimeOffset at, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(UpsertRecordingSql, new { RecordingSid = recordingSid, CallSid = callSid, Status = status, Url = url, Duration = duration, At = at }, tx, cancellationToken: ct));

    public static Task UpsertTranscriptionAsync(NpgsqlConnection c, NpgsqlTransaction tx, string recordingSid, string callSid, string? transcriptionSid, string status, string text, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(UpsertTranscriptionSql, new { RecordingSid = recordingSid, CallSid = callSid, TranscriptionSid = transcriptionSid, Status = status, Text = text }, tx, cancellationToken: ct));

    public static Task<VoicemailRow> LockVoicemailAsync(NpgsqlConnection c, NpgsqlTransaction tx, string recordingSid, CancellationToken ct) =>
        c.QuerySingleAsync<VoicemailRow>(new CommandDefinition(LockVoicemailSql, new { RecordingSid = recordingSid }, tx, cancellationToken: ct));

    public static Task MarkVoicemailAsync(NpgsqlConnection c, NpgsqlTransaction tx, string recordingSid, bool captured, bool transcribed, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(MarkVoicemailSql, new { RecordingSid = recordingSid, Captured = captured, Transcribed = transcribed }, tx, cancellationToken: ct));

    public static async Task<IReadOnlyList<string>> PendingVoicemailsAsync(NpgsqlConnection c, NpgsqlTransaction tx, string callSid, CancellationToken ct) =>
        (await c.QueryAsync<string>(new CommandDefinition(PendingVoicemailsSql, new { CallSid = callSid }, tx, cancellationToken: ct))).AsList();
}
