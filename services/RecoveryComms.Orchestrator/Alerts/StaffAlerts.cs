using Dapper;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Contracts.Recovery;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Background;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Orchestrator.Items;

namespace RecoveryComms.Orchestrator.Alerts;

/// <summary>
/// Tells the person who must act when a backup trigger fires or an item is escalated: on the item's timeline and
/// the console stream always, and by SMS to their own phone when <c>Recovery__AlertStaffBySms</c> is on. At most
/// one alert per item and trigger (the primary key of <c>orchestrator.staff_alerts</c>).
/// </summary>
public sealed class StaffAlerts(Outbox outbox, IOptions<RecoveryOptions> options, TimeProvider time)
{
    public const string AlertChannel = "orchestrator_alerts";

    // Note: the feed sends what the row says, never what a NOTIFY said: anyone who may NOTIFY can only point at an alert.
    private const string FeedSql = """
        SELECT a.item_id AS ItemId, a.trigger AS Trigger, a.user_id AS UserId, coalesce(u.name, '') AS UserName, coalesce(a.detail, '') AS Text
        FROM orchestrator.staff_alerts a LEFT JOIN orchestrator.users u ON u.id = a.user_id
        WHERE a.item_id = @ItemId AND a.trigger = @Trigger
        """;

    /// <summary>What the live feed's <c>alert</c> event carries to the one user it is for.</summary>
    public sealed record FeedAlert(Guid ItemId, string Trigger, Guid? UserId, string UserName, string Text);

    /// <summary>The stored alert a NOTIFY named; null when there is none.</summary>
    public static Task<FeedAlert?> ReadForFeedAsync(NpgsqlConnection c, Guid itemId, string trigger, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<FeedAlert?>(new CommandDefinition(FeedSql, new { ItemId = itemId, Trigger = trigger }, cancellationToken: ct));

    /// <summary>A NOTIFY on <see cref="AlertChannel"/> carries the alert's key only (<c>&lt;item id&gt;:&lt;trigger&gt;</c>).</summary>
    public static string Notification(Guid itemId, string trigger) => $"{itemId:D}:{trigger}";

    public static bool TryParseNotification(string payload, out Guid itemId, out string trigger)
    {
        ArgumentNullException.ThrowIfNull(payload);
        trigger = "";
        if (payload.Length < 38 || payload[36] != ':' || !Guid.TryParseExact(payload[..36], "D", out itemId))
        {
            itemId = Guid.Empty;
            return false;
        }

        trigger = payload[37..];
        return true;
    }

    public async Task RaiseAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, string trigger, Guid? userId, string text, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (userId is null)
        {
            return;
        }

        var name = await c.QuerySingleOrDefaultAsync<string>(new CommandDefinition("SELECT name FROM orchestrator.users WHERE id = @Id", new { Id = userId }, tx, cancellationToken: ct)) ?? "";
        var inserted = await c.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO orchestrator.staff_alerts (item_id, trigger, user_id, sent_at, channel, detail, sms_status)
            VALUES (@ItemId, @Trigger, @UserId, @At, @Channel, @Text, @SmsStatus)
            ON CONFLICT (item_id, trigger) DO NOTHING
            """,
            new
            {
                ItemId = item.Id, Trigger = trigger, UserId = userId, At = time.GetUtcNow(), Channel = options.Value.AlertStaffBySms ? "console+sms" : "console",
                Text = text, SmsStatus = options.Value.AlertStaffBySms ? "pending" : null,
            }, tx, cancellationToken: ct));
        if (inserted == 0)
        {
            return;
        }

        await c.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@Channel, @Payload)", new { Channel = AlertChannel, Payload = Notification(item.Id, trigger) },
            tx, cancellationToken: ct));
        if (options.Value.AlertStaffBySms)
        {
            await outbox.EnqueueAsync(c, tx, new StaffAlertRaised(item.Id, item.Id, trigger, userId.Value, name, text, time.GetUtcNow()), ct);
        }
    }
}

/// <summary>Texts a staff alert to the person's own phone, through the consent service's send gate as a staff message.</summary>
public sealed class StaffAlertSmsConsumer(StaffAlertSms sms) : IConsumer<StaffAlertRaised>
{
    public Task Consume(ConsumeContext<StaffAlertRaised> context) =>
        sms.SendAsync(context.Message.ItemId, context.Message.Trigger, context.CancellationToken);
}

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
/// A staff alert's SMS, sent exactly once and only as the consent service allows (docs/orchestrator.md, "Staff
/// alerts, exactly once"):
/// <list type="number">
/// <item>The alert's SMS is claimed in its own committed statement (<c>pending</c> → <c>sending</c>, with the phone,
/// the claim time and a check time one <c>Recovery__StaffAlertSmsLease</c> later): a redelivered event finds it taken.</item>
/// <item>The consent service's send gate is asked with <see cref="SendStaffSms"/> and a SendId fixed by the alert
/// (<see cref="SendIdOf"/>). The gate decides it as a staff message (a STOP from that phone, do-not-contact, flags,
/// A2P), claims the SendId before Twilio, never sends one SendId twice and settles a lost Twilio answer from
/// Twilio's message list (docs/consent.md). Its answer is recorded: <c>sent &lt;sid&gt;</c>, <c>refused: …</c>,
/// <c>failed: …</c>, or <c>unknown</c> while the gate is still settling it.</item>
/// <item><see cref="StaffAlertSmsReconciler"/> takes claims whose check time has come (no answer from the gate: a
/// crash after the claim, a lost reply, an <c>unknown</c>) and asks the gate again with the same SendId: it answers
/// with what it did, or, if it never saw the request, sends it now. So an alert is never lost to a crash and never
/// texted twice.</item>
/// </list>
/// </summary>
public sealed partial class StaffAlertSms(
    NpgsqlDataSource dataSource, IClientFactory clients, KeyEventSigner signer, IOptions<RecoveryOptions> options, TimeProvider time, ILogger<StaffAlertSms> logger)
{
    /// <summary>When an <c>unknown</c> answer is asked about again (the gate's own first look at Twilio is 15 s after the send).</summary>
    public static readonly TimeSpan UnknownCheckAfter = TimeSpan.FromSeconds(20);

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

    /// <summary>The gate's SendId for an alert's SMS: the same for every ask about it, so the gate sends it at most once.</summary>
    public static Guid SendIdOf(Guid itemId, string trigger)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"recoverycomms/staff-alert-sms/1;{itemId:D};{trigger}"));
        return new Guid(hash.AsSpan(0, 16));
    }

    /// <summary>Claims the alert's SMS and asks the gate; a second delivery of the same event finds it claimed and does nothing.</summary>
    public async Task SendAsync(Guid itemId, string trigger, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        string? status;
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            status = await c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(ClaimSql, new
            {
                ItemId = itemId, Trigger = trigger, At = now, CheckAfter = now + options.Value.StaffAlertSmsLease,
            }, cancellationToken: ct));
        }

        if (status != "sending")
        {
            return;
        }

        StaffAlertSmsRow claim;
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            claim = await c.QuerySingleAsync<StaffAlertSmsRow>(new CommandDefinition(ByKeySql, new { ItemId = itemId, Trigger = trigger }, cancellationToken: ct));
        }

        // Note: once claimed, the ask runs to its end whatever the caller's token says; an unanswered ask is asked again.
        if (await AskGateAsync(claim, CancellationToken.None) is { } result)
        {
            await using var c = await dataSource.OpenConnectionAsync(CancellationToken.None);
            await SettleAsync(c, null, claim, result, CancellationToken.None);
        }
    }

    /// <summary>Settles every due claim, up to <paramref name="max"/>; returns how many it examined.</summary>
    public async Task<int> ReconcileDueAsync(int max, CancellationToken ct)
    {
        var examined = 0;
        while (examined < max && await ReconcileNextAsync(ct))
        {
            examined++;
        }

        return examined;
    }

    private async Task<bool> ReconcileNextAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var claim = await c.QuerySingleOrDefaultAsync<StaffAlertSmsRow>(new CommandDefinition(NextDueSql, new { Now = now }, tx, cancellationToken: ct));
        if (claim is null)
        {
            return false;
        }

        var was = claim.SmsStatus ?? "";
        LogAskingAgain(claim.ItemId, claim.Trigger, was);
        var result = await AskGateAsync(claim, ct);
        if (result is null)
        {
            await c.ExecuteAsync(new CommandDefinition(
                "UPDATE orchestrator.staff_alerts SET sms_check_after = @CheckAfter WHERE item_id = @ItemId AND trigger = @Trigger",
                new { CheckAfter = now + options.Value.StaffAlertSmsLease, claim.ItemId, claim.Trigger }, tx, cancellationToken: ct));
        }
        else
        {
            await SettleAsync(c, tx, claim, result, ct);
        }

        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>The gate's answer; null when it did not answer in time (the claim is asked about again later).</summary>
    private async Task<SmsSendResult?> AskGateAsync(StaffAlertSmsRow claim, CancellationToken ct)
    {
        var sendId = SendIdOf(claim.ItemId, claim.Trigger);
        try
        {
            var answer = await clients.CreateRequestClient<SendStaffSms>().GetResponse<SmsSendResult>(
                signer.Sign(new SendStaffSms(claim.ItemId, sendId, claim.SmsPhone!, claim.Detail ?? "", time.GetUtcNow())), ct,
                RequestTimeout.After(s: (int)Math.Ceiling(options.Value.ConsentTimeout.TotalSeconds)));
            return answer.Message;
        }
        catch (RequestTimeoutException e)
        {
            var masked = Phone.Mask(claim.SmsPhone);
            LogGateSilent(e, claim.ItemId, claim.Trigger, masked);
            return null;
        }
    }

    private async Task SettleAsync(NpgsqlConnection c, NpgsqlTransaction? tx, StaffAlertSmsRow claim, SmsSendResult result, CancellationToken ct)
    {
        var reasons = string.Join(", ", result.Reasons);
        var (status, sid, checkAfter) = result.Status switch
        {
            "sent" => ("sent " + result.MessageSid, result.MessageSid, (DateTimeOffset?)null),
            "refused" => ("refused: " + reasons, null, null),
            "failed" => ("failed: " + reasons, null, null),
            // The gate is settling it with Twilio: ask again after its first look.
            _ => ("unknown", null, time.GetUtcNow() + UnknownCheckAfter),
        };
        await c.ExecuteAsync(new CommandDefinition(SettleSql, new { Status = status, Sid = sid, CheckAfter = checkAfter, claim.ItemId, claim.Trigger }, tx, cancellationToken: ct));
        if (result.Status is "refused" or "failed")
        {
            var masked = Phone.Mask(claim.SmsPhone);
            LogNotSent(claim.ItemId, claim.Trigger, masked, status);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The send gate did not answer for the staff alert {Trigger} of item {ItemId} to {Phone}; it is asked again later")]
    private partial void LogGateSilent(Exception e, Guid itemId, string trigger, string phone);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Staff alert {Trigger} of item {ItemId} was not texted to {Phone}: {Status}")]
    private partial void LogNotSent(Guid itemId, string trigger, string phone, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Staff alert {Trigger} of item {ItemId}: no answer recorded ({Status}); asking the send gate again with the same send id")]
    private partial void LogAskingAgain(Guid itemId, string trigger, string status);
}

/// <summary>Runs <see cref="StaffAlertSms.ReconcileDueAsync"/> on every replica (rows are shared with SKIP LOCKED); a failure is logged and backed off.</summary>
public sealed class StaffAlertSmsReconciler(StaffAlertSms sms, BackgroundLoops loops, ILogger<StaffAlertSmsReconciler> logger)
    // How often due claims are looked for: infrastructure time; "due" is business time.
    : BackgroundLoop(loops, new LoopSettings(LoopName, "Settling staff alert texts") { Idle = TimeSpan.FromSeconds(1) }, logger)
{
    /// <summary>The loop's health and readiness name.</summary>
    public const string LoopName = "staff-alert-sms";

    protected override async Task<LoopStep> StepAsync(CancellationToken ct) =>
        await sms.ReconcileDueAsync(50, ct) < 50 ? LoopStep.Idle : LoopStep.Again;
}
