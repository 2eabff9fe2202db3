using Dapper;
using Npgsql;
using RecoveryComms.Orchestrator.Items;

namespace RecoveryComms.Orchestrator.Views;

/// <summary>The queue's read side: views in priority order, one item in full.</summary>
public sealed class ItemQueries(NpgsqlDataSource dataSource, TimeProvider time)
{
    public static readonly IReadOnlySet<string> Views = new HashSet<string>(StringComparer.Ordinal)
        { "abandoned", "voicemail", "after-hours", "mine", "escalated", "open" };

    private static readonly string Select = $"""
        SELECT {RecoveryItemStore.ColumnsOf("i")}, p.name AS primary_owner_name, b.name AS backup_owner_name
        FROM orchestrator.recovery_items i
        LEFT JOIN orchestrator.users p ON p.id = i.primary_owner_id
        LEFT JOIN orchestrator.users b ON b.id = i.backup_owner_id
        """;

    // Note: each view's WHERE matches one of the partial indexes of 0005_create_recovery_items.sql, and every view is
    // ordered by (priority, sort_at, id), so a page of the queue is an index scan however many items there are.
    private static string ViewSql(string view) => Select + view switch
    {
        "abandoned" => " WHERE i.status <> 'completed' AND i.type = 'abandoned' AND i.created_at >= @Since",
        "voicemail" => " WHERE i.status <> 'completed' AND i.type = 'voicemail' AND i.created_at >= @Since",
        "after-hours" => " WHERE i.status <> 'completed' AND i.after_hours",
        // Two ordered index scans, one per role, instead of an OR that reads every open item.
        "mine" => """
             WHERE i.id IN (
                (SELECT id FROM orchestrator.recovery_items WHERE status <> 'completed' AND primary_owner_id = @Me ORDER BY priority, sort_at, id LIMIT @Limit)
                UNION
                (SELECT id FROM orchestrator.recovery_items WHERE status <> 'completed' AND backup_owner_id = @Me ORDER BY priority, sort_at, id LIMIT @Limit))
            """,
        "escalated" => " WHERE i.status = 'escalated'",
        _ => " WHERE i.status <> 'completed'",
    } + " ORDER BY i.priority, i.sort_at, i.id LIMIT @Limit";

    public async Task<IReadOnlyList<ItemView>> ListAsync(string view, Guid me, int limit, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition(ViewSql(view), new
        {
            Since = time.GetUtcNow().UtcDateTime.AddHours(-24), Me = me, Limit = limit,
        }, cancellationToken: ct));
        return rows.Select(ToView).ToList();
    }

    /// <summary>Tab badges count up to this many ("1000+"), so a count never reads a million rows.</summary>
    public const int CountCap = 1000;

    /// <summary>Counts per view (the console's tab badges), each at most <see cref="CountCap"/>.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountsAsync(Guid me, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var since = time.GetUtcNow().UtcDateTime.AddHours(-24);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var view in Views)
        {
            var sql = "SELECT count(*) FROM (" + ViewSql(view) + ") v";
            counts[view] = await c.ExecuteScalarAsync<long>(new CommandDefinition(sql, new { Since = since, Me = me, Limit = CountCap }, cancellationToken: ct));
        }

        return counts;
    }

    public async Task<ItemView?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await GetAsync(c, null, id, ct);
    }

    public static async Task<ItemView?> GetAsync(NpgsqlConnection c, NpgsqlTransaction? tx, Guid id, CancellationToken ct)
    {
        var row = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(Select + " WHERE i.id = @Id", new { Id = id }, tx, cancellationToken: ct));
        return row is null ? null : ToView(row);
    }

    public async Task<ItemDetail?> DetailAsync(Guid id, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var item = await GetAsync(c, null, id, ct);
        if (item is null)
        {
            return null;
        }

        var occurrences = await c.QueryAsync<(string CallSid, string Kind, string? Caller, DateTime OccurredAt)>(new CommandDefinition(
            "SELECT call_sid, kind, caller, occurred_at FROM orchestrator.recovery_occurrences WHERE item_id = @Id ORDER BY occurred_at, kind",
            new { Id = id }, cancellationToken: ct));
        var attempts = await c.QueryAsync<AttemptRow>(new CommandDefinition(
            """
            SELECT a.id, a.csr_id, u.name AS csr_name, a.started_at, a.ended_at, a.result, a.counts, a.csr_leg_status, a.customer_leg_status,
                a.answered_by, a.voicemail_left, a.recorded, a.recording_sid, a.recording_seconds, a.error
            FROM orchestrator.call_attempts a JOIN orchestrator.users u ON u.id = a.csr_id
            WHERE a.item_id = @Id ORDER BY a.started_at
            """, new { Id = id }, cancellationToken: ct));
        var sms = await c.QueryAsync<SmsRow>(new CommandDefinition(
            "SELECT send_id, body, status, reasons, delivery, requested_at, decided_at FROM orchestrator.recovery_sms WHERE item_id = @Id ORDER BY requested_at", new { Id = id }, cancellationToken: ct));
        var timeline = await RecoveryItemStore.TimelineAsync(c, id, ct);
        return new ItemDetail(
            item,
            occurrences.Select(o => new OccurrenceView(o.CallSid, o.Kind, o.Caller, Utc(o.OccurredAt))).ToList(),
            attempts.Select(a => new AttemptView(a.Id, a.CsrId, a.CsrName, Utc(a.StartedAt), Utc(a.EndedAt), a.Result, a.Counts, a.CsrLegStatus,
                a.CustomerLegStatus, a.AnsweredBy, a.VoicemailLeft, a.Recorded, a.RecordingSid, a.RecordingSeconds, a.Error)).ToList(),
            sms.Select(s => new SmsView(s.SendId, s.Body, s.Status, s.Reasons, s.Delivery, Utc(s.RequestedAt), Utc(s.DecidedAt))).ToList(),
            timeline.Select(t => new TimelineView(Utc(t.At), t.ActorId is { } actorId ? new OwnerView(actorId, t.ActorName) : null, t.ActorName, t.Kind, t.Detail, t.Status)).ToList());
    }

    internal static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));

    internal static DateTimeOffset? Utc(DateTime? at) => at is { } value ? Utc(value) : null;

    private static ItemView ToView(Row r) => new(
        r.Id, r.Type, r.Status, r.Phone, r.ContactKey, r.AccountName, r.Occurrences, Utc(r.CreatedAt), Utc(r.FirstAttemptDueAt), Utc(r.SlaDueAt),
        r.PrimaryOwnerId is { } p ? new OwnerView(p, r.PrimaryOwnerName ?? "") : null,
        r.BackupOwnerId is { } b ? new OwnerView(b, r.BackupOwnerName ?? "") : null,
        r.Attempts, r.SmsSent, r.VoicemailLeft, r.Transcript, r.AfterHours, r.CannotCallBack, r.ShortAbandon, r.ShopLine, Utc(r.ClockStartsAt),
        Utc(r.DueAt), Utc(r.FirstAttemptAt), Utc(r.BackupTriggeredAt), Utc(r.EscalatedAt), Utc(r.CustomerRepliedAt), Utc(r.NextCheckAt),
        r.RecordingSid is not null, r.Outcome, r.Reason, r.Note, Utc(r.RescheduleAt), Utc(r.DisposedAt), r.OriginalJobNumber, r.TechName, r.JobType,
        r.Details, r.Version, Utc(r.UpdatedAt), r.Priority, Utc(r.SortAt))
    {
        Emergency = r.EmergencyMatched is { } matched ? new EmergencyView(matched, r.EmergencySource ?? "") : null,
    };

    private sealed class Row
    {
        public Guid Id { get; init; }
        public string Type { get; init; } = "";
        public string Status { get; init; } = "";
        public string? Phone { get; init; }
        public string ContactKey { get; init; } = "";
        public string? AccountName { get; init; }
        public string? ShopLine { get; init; }
        public int Occurrences { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime ClockStartsAt { get; init; }
        public DateTime FirstAttemptDueAt { get; init; }
        public DateTime SlaDueAt { get; init; }
        public DateTime? DueAt { get; init; }
        public Guid? PrimaryOwnerId { get; init; }
        public string? PrimaryOwnerName { get; init; }
        public Guid? BackupOwnerId { get; init; }
        public string? BackupOwnerName { get; init; }
        public int Attempts { get; init; }
        public DateTime? FirstAttemptAt { get; init; }
        public bool SmsSent { get; init; }
        public bool VoicemailLeft { get; init; }
        public string? Transcript { get; init; }
        public string? RecordingSid { get; init; }
        public bool AfterHours { get; init; }
        public bool CannotCallBack { get; init; }
        public bool ShortAbandon { get; init; }
        public DateTime? BackupTriggeredAt { get; init; }
        public DateTime? EscalatedAt { get; init; }
        public DateTime? CustomerRepliedAt { get; init; }
        public DateTime? NextCheckAt { get; init; }
        public string? Outcome { get; init; }
        public string? Reason { get; init; }
        public string? Note { get; init; }
        public DateTime? RescheduleAt { get; init; }
        public DateTime? DisposedAt { get; init; }
        public string? OriginalJobNumber { get; init; }
        public string? TechName { get; init; }
        public string? JobType { get; init; }
        public string? Details { get; init; }
        public string? EmergencyMatched { get; init; }
        public string? EmergencySource { get; init; }
        public int Version { get; init; }
        public DateTime UpdatedAt { get; init; }
        public int Priority { get; init; }
        public DateTime SortAt { get; init; }
    }

    private sealed class AttemptRow
    {
        public Guid Id { get; init; }
        public Guid CsrId { get; init; }
        public string CsrName { get; init; } = "";
        public DateTime StartedAt { get; init; }
        public DateTime? EndedAt { get; init; }
        public string Result { get; init; } = "";
        public bool Counts { get; init; }
        public string? CsrLegStatus { get; init; }
        public string? CustomerLegStatus { get; init; }
        public string? AnsweredBy { get; init; }
        public bool VoicemailLeft { get; init; }
        public bool Recorded { get; init; }
        public string? RecordingSid { get; init; }
        public int? RecordingSeconds { get; init; }
        public string? Error { get; init; }
    }

    private sealed class SmsRow
    {
        public Guid SendId { get; init; }
        public string Body { get; init; } = "";
        public string Status { get; init; } = "";
        public string[] Reasons { get; init; } = [];
        public string? Delivery { get; init; }
        public DateTime RequestedAt { get; init; }
        public DateTime? DecidedAt { get; init; }
    }
}
