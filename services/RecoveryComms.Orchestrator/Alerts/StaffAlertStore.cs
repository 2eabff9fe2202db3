using Dapper;
using Npgsql;

namespace RecoveryComms.Orchestrator.Alerts;

/// <summary>One row of <c>orchestrator.staff_alerts</c> with its SMS claim.</summary>
public sealed class StaffAlertSmsRow
{
    public Guid ItemId { get; init; }

    public string Trigger { get; init; } = "";

    public string? Detail { get; init; }

    public string? SmsStatus { get; init; }

    public string? SmsPhone { get; init; }

    public DateTime? SmsClaimedAt { get; init; }

    public int SmsSends { get; init; }
}

/// <summary>
/// Owns <c>orchestrator.staff_alerts</c> (the only class with its SQL): the alert raised inside the item's transaction,
/// its NOTIFY, the row the live feed reads, and its SMS claim, answer and re-ask (<see cref="StaffAlertSms"/>). It reads
/// <c>orchestrator.users</c> for the name the feed shows and the phone a claim texts. Static: every statement runs on
/// the caller's connection, most inside the caller's transaction.
/// </summary>
public static class StaffAlertStore
{
    private const string InsertSql = """
        INSERT INTO orchestrator.staff_alerts (item_id, trigger, user_id, sent_at, channel, detail, sms_status)
        VALUES (@ItemId, @Trigger, @UserId, @At, @Channel, @Text, @SmsStatus)
        ON CONFLICT (item_id, trigger) DO NOTHING
        """;

    // Note: the feed sends what the row says, never what a NOTIFY said: anyone who may NOTIFY can only point at an alert.
    private const string FeedSql = """
        SELECT a.item_id AS ItemId, a.trigger AS Trigger, a.user_id AS UserId, coalesce(u.name, '') AS UserName, coalesce(a.detail, '') AS Text
        FROM orchestrator.staff_alerts a LEFT JOIN orchestrator.users u ON u.id = a.user_id
        WHERE a.item_id = @ItemId AND a.trigger = @Trigger
        """;

    private const string Columns = """
        item_id, trigger, detail, sms_status AS SmsStatus, sms_phone AS SmsPhone, sms_claimed_at AS SmsClaimedAt, sms_sends AS SmsSends
        """;

    // Note: no phone settles the alert as failed at once; a claim without one could never send.
    private const string ClaimSql = """
        UPDATE orchestrator.staff_alerts a
        SET sms_status = CASE WHEN u.phone IS NULL THEN 'failed: the user has no phone' ELSE 'sending' END,
            sms_phone = u.phone, sms_claimed_at = @At, sms_sends = a.sms_sends + 1,
            sms_check_after = CASE WHEN u.phone IS NULL THEN NULL ELSE @CheckAfter END
        FROM orchestrator.users u
        WHERE a.item_id = @ItemId AND a.trigger = @Trigger AND a.sms_status = 'pending' AND u.id = a.user_id
        RETURNING a.sms_status
        """;

    private const string ByKeySql = $"SELECT {Columns} FROM orchestrator.staff_alerts WHERE item_id = @ItemId AND trigger = @Trigger";

    // Only an open claim is settled: a second answer for a settled alert (a slow reply after the reconciler's) changes nothing.
    private const string SettleSql = """
        UPDATE orchestrator.staff_alerts SET sms_status = @Status, sms_sid = @Sid, sms_check_after = @CheckAfter
        WHERE item_id = @ItemId AND trigger = @Trigger AND sms_status IN ('sending', 'unknown')
        """;

    // Note: SKIP LOCKED passes over a row another replica is asking about.
    private const string NextDueSql = $"""
        SELECT {Columns} FROM orchestrator.staff_alerts
        WHERE sms_check_after <= @Now AND sms_status IN ('sending', 'unknown')
        ORDER BY sms_check_after
        LIMIT 1
        FOR UPDATE SKIP LOCKED
        """;

    private const string NotifySql = "SELECT pg_notify(@Channel, @Payload)";

    private const string PostponeSql = "UPDATE orchestrator.staff_alerts SET sms_check_after = @CheckAfter WHERE item_id = @ItemId AND trigger = @Trigger";

    /// <summary>Records the alert in the caller's transaction; false when the item already has one for this trigger.</summary>
    public static async Task<bool> InsertAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, Guid itemId, string trigger, Guid userId, DateTimeOffset at, string channel, string text, string? smsStatus,
        CancellationToken ct) =>
        await c.ExecuteAsync(new CommandDefinition(InsertSql, new
        {
            ItemId = itemId, Trigger = trigger, UserId = userId, At = at, Channel = channel, Text = text, SmsStatus = smsStatus,
        }, tx, cancellationToken: ct)) > 0;

    /// <summary>Wakes the live feeds at the caller's commit: the NOTIFY names the alert (<see cref="StaffAlerts.Notification"/>), never its text.</summary>
    public static Task NotifyAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid itemId, string trigger, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(NotifySql, new { Channel = StaffAlerts.AlertChannel, Payload = StaffAlerts.Notification(itemId, trigger) }, tx, cancellationToken: ct));

    /// <summary>The stored alert a NOTIFY named; null when there is none.</summary>
    public static Task<StaffAlerts.FeedAlert?> FeedAlertAsync(NpgsqlConnection c, Guid itemId, string trigger, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<StaffAlerts.FeedAlert?>(new CommandDefinition(FeedSql, new { ItemId = itemId, Trigger = trigger }, cancellationToken: ct));

    /// <summary>Claims a pending alert's SMS in its own statement; returns the status it now has, null when it was not pending.</summary>
    public static Task<string?> ClaimSmsAsync(NpgsqlConnection c, Guid itemId, string trigger, DateTimeOffset at, DateTimeOffset checkAfter, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(ClaimSql, new
        {
            ItemId = itemId, Trigger = trigger, At = at, CheckAfter = checkAfter,
        }, cancellationToken: ct));

    public static Task<StaffAlertSmsRow> SmsClaimAsync(NpgsqlConnection c, Guid itemId, string trigger, CancellationToken ct) =>
        c.QuerySingleAsync<StaffAlertSmsRow>(new CommandDefinition(ByKeySql, new { ItemId = itemId, Trigger = trigger }, cancellationToken: ct));

    /// <summary>The most overdue open claim, locked for the caller's transaction; null when none is due.</summary>
    public static Task<StaffAlertSmsRow?> NextDueSmsAsync(NpgsqlConnection c, NpgsqlTransaction tx, DateTimeOffset now, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<StaffAlertSmsRow?>(new CommandDefinition(NextDueSql, new { Now = now }, tx, cancellationToken: ct));

    /// <summary>Records the gate's answer on an open claim; a null <paramref name="checkAfter"/> settles it.</summary>
    public static Task SettleSmsAsync(
        NpgsqlConnection c, NpgsqlTransaction? tx, Guid itemId, string trigger, string status, string? sid, DateTimeOffset? checkAfter, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(SettleSql, new { Status = status, Sid = sid, CheckAfter = checkAfter, ItemId = itemId, Trigger = trigger }, tx, cancellationToken: ct));

    /// <summary>Asks about a claim again at <paramref name="checkAfter"/> (the gate did not answer).</summary>
    public static Task PostponeSmsAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid itemId, string trigger, DateTimeOffset checkAfter, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(PostponeSql, new { CheckAfter = checkAfter, ItemId = itemId, Trigger = trigger }, tx, cancellationToken: ct));
}
