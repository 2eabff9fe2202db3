using Dapper;
using Npgsql;

namespace RecoveryComms.Orchestrator.Items;

/// <summary>
/// <c>orchestrator.recovery_items</c>, its occurrences and its timeline. Columns map to properties by name with
/// underscores removed (<c>first_attempt_due_at</c> → <c>FirstAttemptDueAt</c>): the one rule, set at start-up in
/// Program.cs and checked field by field by the intake tests. Every save bumps the version, appends to the timeline and NOTIFYs <c>orchestrator_items</c> at commit,
/// which is what the live console stream listens to on every replica.
/// </summary>
public sealed class RecoveryItemStore
{
    public const string ChangedChannel = "orchestrator_items";

    private const string Columns = """
        id, type, status, phone, contact_key, account_id, account_name, shop_line, occurrences, created_at, clock_starts_at,
        first_attempt_due_at, sla_due_at, due_at, priority, sort_at, primary_owner_id, backup_owner_id, claimed_at, attempts,
        first_attempt_at, sms_sent, voicemail_left, transcript, recording_sid, recording_url, after_hours, cannot_call_back,
        short_abandon, backup_triggered_at, escalated_at, customer_replied_at, next_check_at, eod_flagged_at, outcome, reason,
        note, reschedule_at, disposed_at, disposed_by, original_job_number, tech_name, job_type, details, emergency_matched,
        emergency_source, version, updated_at
        """;

    /// <summary>The item's columns for a query that joins others (<paramref name="alias"/> names the item's table).</summary>
    public static string ColumnsOf(string alias) =>
        string.Join(", ", Columns.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(column => alias + "." + column));

    private const string InsertSql = $"""
        INSERT INTO orchestrator.recovery_items ({Columns})
        VALUES (@Id, @Type, @Status, @Phone, @ContactKey, @AccountId, @AccountName, @ShopLine, @Occurrences, @CreatedAt, @ClockStartsAt,
                @FirstAttemptDueAt, @SlaDueAt, @DueAt, @Priority, @SortAt, @PrimaryOwnerId, @BackupOwnerId, @ClaimedAt, @Attempts,
                @FirstAttemptAt, @SmsSent, @VoicemailLeft, @Transcript, @RecordingSid, @RecordingUrl, @AfterHours, @CannotCallBack,
                @ShortAbandon, @BackupTriggeredAt, @EscalatedAt, @CustomerRepliedAt, @NextCheckAt, @EodFlaggedAt, @Outcome, @Reason,
                @Note, @RescheduleAt, @DisposedAt, @DisposedBy, @OriginalJobNumber, @TechName, @JobType, @Details, @EmergencyMatched,
                @EmergencySource, 1, @UpdatedAt)
        """;

    private const string UpdateSql = """
        UPDATE orchestrator.recovery_items SET
            type = @Type, status = @Status, account_id = @AccountId, account_name = @AccountName, occurrences = @Occurrences,
            clock_starts_at = @ClockStartsAt, first_attempt_due_at = @FirstAttemptDueAt, sla_due_at = @SlaDueAt, due_at = @DueAt,
            priority = @Priority, sort_at = @SortAt, primary_owner_id = @PrimaryOwnerId, backup_owner_id = @BackupOwnerId,
            claimed_at = @ClaimedAt, attempts = @Attempts, first_attempt_at = @FirstAttemptAt, sms_sent = @SmsSent,
            voicemail_left = @VoicemailLeft, transcript = @Transcript, recording_sid = @RecordingSid, recording_url = @RecordingUrl,
            short_abandon = @ShortAbandon, backup_triggered_at = @BackupTriggeredAt, escalated_at = @EscalatedAt,
            customer_replied_at = @CustomerRepliedAt, next_check_at = @NextCheckAt, eod_flagged_at = @EodFlaggedAt,
            outcome = @Outcome, reason = @Reason, note = @Note, reschedule_at = @RescheduleAt, disposed_at = @DisposedAt,
            disposed_by = @DisposedBy, details = @Details, emergency_matched = @EmergencyMatched, emergency_source = @EmergencySource,
            version = version + 1, updated_at = @UpdatedAt
        WHERE id = @Id AND version = @Version
        """;

    private const string LockSql = $"SELECT {Columns} FROM orchestrator.recovery_items WHERE id = @Id FOR UPDATE";

    private const string OpenCallForContactSql = $"""
        SELECT {Columns} FROM orchestrator.recovery_items
        WHERE contact_key = @ContactKey AND status <> 'completed' AND type IN ('missed-call', 'abandoned', 'voicemail')
        FOR UPDATE
        """;

    private const string ItemOfOccurrenceSql = "SELECT item_id FROM orchestrator.recovery_occurrences WHERE call_sid = @CallSid ORDER BY occurred_at LIMIT 1";

    private const string InsertOccurrenceSql = """
        INSERT INTO orchestrator.recovery_occurrences (call_sid, kind, item_id, caller, occurred_at)
        VALUES (@CallSid, @Kind, @ItemId, @Caller, @At)
        ON CONFLICT (call_sid, kind) DO NOTHING
        """;

    private const string EventSql = """
        INSERT INTO orchestrator.item_events (item_id, at, actor_id, actor_name, kind, detail, status)
        VALUES (@ItemId, @At, @ActorId, @ActorName, @Kind, @Detail, @Status)
        """;

    private const string TimelineSql = """
        SELECT id, at, actor_id AS ActorId, actor_name AS ActorName, kind, detail, status
        FROM orchestrator.item_events WHERE item_id = @Id ORDER BY id
        """;

    /// <summary>Reads an item without locking it (to ask a question of it, never to change it); null when there is no such item.</summary>
    public static Task<RecoveryItem?> ReadAsync(NpgsqlConnection c, Guid id, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<RecoveryItem>(new CommandDefinition($"SELECT {Columns} FROM orchestrator.recovery_items WHERE id = @Id", new { Id = id }, cancellationToken: ct));

    /// <summary>Locks an item for a change; null when there is no such item.</summary>
    public static Task<RecoveryItem?> LockAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid id, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<RecoveryItem>(new CommandDefinition(LockSql, new { Id = id }, tx, cancellationToken: ct));

    /// <summary>The customer's open items (by number or contact), in queue order.</summary>
    public static async Task<IReadOnlyList<Guid>> OpenForCustomerAsync(NpgsqlConnection c, NpgsqlTransaction tx, string phone, string contactKey, CancellationToken ct) =>
        (await c.QueryAsync<Guid>(new CommandDefinition(
            """
            SELECT id FROM orchestrator.recovery_items
            WHERE status <> 'completed' AND (phone = @Phone OR contact_key = @ContactKey) ORDER BY priority, sort_at, id
            """, new { Phone = phone, ContactKey = contactKey }, tx, cancellationToken: ct))).AsList();

    /// <summary>The items open at the shop's close that wait on a decision (a parked item has its next check), in queue order.</summary>
    public static async Task<IReadOnlyList<Guid>> OpenAtCloseAsync(NpgsqlConnection c, NpgsqlTransaction tx, CancellationToken ct) =>
        (await c.QueryAsync<Guid>(new CommandDefinition(
            "SELECT id FROM orchestrator.recovery_items WHERE status NOT IN ('completed', 'limbo') ORDER BY priority, sort_at, id",
            cancellationToken: ct, transaction: tx))).AsList();

    /// <summary>The contact's open call-recovery, locked; null when there is none.</summary>
    public static Task<RecoveryItem?> LockOpenCallAsync(NpgsqlConnection c, NpgsqlTransaction tx, string contactKey, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<RecoveryItem>(new CommandDefinition(OpenCallForContactSql, new { ContactKey = contactKey }, tx, cancellationToken: ct));

    /// <summary>The item a call was merged into, if any.</summary>
    public static Task<Guid?> ItemOfCallAsync(NpgsqlConnection c, NpgsqlTransaction tx, string callSid, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(ItemOfOccurrenceSql, new { CallSid = callSid }, tx, cancellationToken: ct));

    /// <summary>Records that a call (of a kind) belongs to an item; false when it was recorded before (a redelivery).</summary>
    public static async Task<bool> TryAddOccurrenceAsync(NpgsqlConnection c, NpgsqlTransaction tx, string callSid, string kind, Guid itemId, string? caller, DateTime at, CancellationToken ct) =>
        await c.ExecuteAsync(new CommandDefinition(InsertOccurrenceSql, new { CallSid = callSid, Kind = kind, ItemId = itemId, Caller = caller, At = at }, tx, cancellationToken: ct)) == 1;

    /// <summary>Whether this call already counted toward the item (a missed call followed by its own voicemail is one call).</summary>
    public static async Task<bool> HasCallAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid itemId, string callSid, CancellationToken ct) =>
        await c.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM orchestrator.recovery_occurrences WHERE item_id = @ItemId AND call_sid = @CallSid)",
            new { ItemId = itemId, CallSid = callSid }, tx, cancellationToken: ct));

    public static async Task InsertAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, Actor actor, string detail, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        await c.ExecuteAsync(new CommandDefinition(InsertSql, item, tx, cancellationToken: ct));
        await AppendAsync(c, tx, item, actor, TimelineKinds.Created, detail, item.UpdatedAt, ct);
    }

    /// <summary>Saves a locked item and appends the change to its timeline.</summary>
    public static async Task SaveAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, Actor actor, string kind, string detail, DateTime at, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        item.Saving(at);
        var updated = await c.ExecuteAsync(new CommandDefinition(UpdateSql, item, tx, cancellationToken: ct));
        if (updated != 1)
        {
            // Note: every caller locks the row first, so this is a bug, never a race to retry.
            throw new InvalidOperationException($"Recovery item {item.Id} changed underneath a locked update (version {item.Version}).");
        }

        item.Saved();
        await AppendAsync(c, tx, item, actor, kind, detail, at, ct);
    }

    /// <summary>A timeline entry without a change of the row (an SMS delivery report, say); still wakes the stream.</summary>
    public static async Task AppendAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, Actor actor, string kind, string detail, DateTime at, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(actor);
        await c.ExecuteAsync(new CommandDefinition(EventSql, new
        {
            ItemId = item.Id, At = at, ActorId = actor.Id, ActorName = actor.Name, Kind = kind, Detail = detail, item.Status,
        }, tx, cancellationToken: ct));
        await NotifyAsync(c, tx, item.Id, ct);
    }

    /// <summary>Wakes the live stream at commit for an item whose detail changed (one NOTIFY per item and transaction).</summary>
    public static Task NotifyAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid itemId, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@Channel, @Id::text)", new { Channel = ChangedChannel, Id = itemId }, tx, cancellationToken: ct));

    public static async Task<IReadOnlyList<TimelineEntry>> TimelineAsync(NpgsqlConnection c, Guid id, CancellationToken ct) =>
        (await c.QueryAsync<TimelineEntry>(new CommandDefinition(TimelineSql, new { Id = id }, cancellationToken: ct))).AsList();
}
