using Dapper;
using Npgsql;

namespace RecoveryComms.Orchestrator.Recordings;

/// <summary>
/// The stored recording references the recording endpoints stream. Owns no table: it reads
/// <c>orchestrator.recovery_items</c> (a voicemail's recording SID and the caller) and <c>orchestrator.call_attempts</c>
/// (a recorded callback's SID and its CSR), which the queue and the attempts write.
/// </summary>
public static class RecordingQueries
{
    private const string VoicemailSql = "SELECT recording_sid, phone FROM orchestrator.recovery_items WHERE id = @Id";

    private const string AttemptRecordingSql = """
        SELECT a.csr_id, a.recording_sid, i.phone FROM orchestrator.call_attempts a JOIN orchestrator.recovery_items i ON i.id = a.item_id
        WHERE a.id = @AttemptId AND a.item_id = @Id
        """;

    /// <summary>The item's voicemail recording SID (null when it has none) and phone; null when there is no such item.</summary>
    public static async Task<(string? RecordingSid, string? Phone)?> VoicemailAsync(NpgsqlDataSource dataSource, Guid itemId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<(string? RecordingSid, string? Phone)?>(new CommandDefinition(VoicemailSql, new { Id = itemId }, cancellationToken: ct));
    }

    /// <summary>The attempt's CSR, recording SID (null when it was not recorded) and phone; null when the item has no such attempt.</summary>
    public static async Task<(Guid CsrId, string? RecordingSid, string? Phone)?> AttemptRecordingAsync(
        NpgsqlDataSource dataSource, Guid itemId, Guid attemptId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<(Guid CsrId, string? RecordingSid, string? Phone)?>(new CommandDefinition(
            AttemptRecordingSql, new { Id = itemId, AttemptId = attemptId }, cancellationToken: ct));
    }
}
