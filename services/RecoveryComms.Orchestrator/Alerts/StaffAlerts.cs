using Dapper;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Contracts.Recovery;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Orchestrator.Queue;
using RecoveryComms.Telephony.Rest;

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

/// <summary>Texts a staff alert to the person's own phone: staff, not customers, so no consent gate.</summary>
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

    public string? SmsFrom { get; init; }

    public DateTime? SmsClaimedAt { get; init; }

    public int SmsSends { get; init; }
}

/// <summary>
/// A staff alert's SMS, sent exactly once, like the consent service's send gate (docs/consent.md):
/// <list type="number">
/// <item>The alert's SMS is claimed in its own committed statement (<c>pending</c> → <c>sending</c>, with the phone,
/// the shop line, the claim time and a check time one lease later): a redelivered event finds it taken.</item>
/// <item>The attempt locks its claim row and calls Twilio while holding it (on <c>CancellationToken.None</c>), then
/// records <c>sent &lt;sid&gt;</c>, <c>failed: …</c> (Twilio refused it: never retried), or <c>unknown</c> (Twilio's
/// answer was lost). A create is never retried on the spot.</item>
/// <item><see cref="StaffAlertSmsReconciler"/> takes claims whose check time has come and that no attempt holds (a
/// crash after the claim, an <c>unknown</c>): it looks for the text in Twilio's message list first, and sends again
/// only when Twilio lists nothing once the lease (longer than the text's <c>ValidityPeriod</c>) has passed, so a text
/// that was sent is never sent twice and one that was not is never lost.</item>
/// </list>
/// </summary>
public sealed partial class StaffAlertSms(
    NpgsqlDataSource dataSource, ITwilioRestClient twilio, IOptions<BusinessOptions> business, IOptions<RecoveryOptions> options, TimeProvider time,
    ILogger<StaffAlertSms> logger)
{
    /// <summary>How many creates one alert gets at most (each only after Twilio listed nothing for the one before).</summary>
    public const int MaxSends = 3;

    /// <summary>When an <c>unknown</c> send is first looked up (Twilio's list can lag a moment behind a create).</summary>
    public static readonly TimeSpan FirstCheckAfter = TimeSpan.FromSeconds(15);

    private const string Columns = """
        item_id, trigger, detail, sms_status AS SmsStatus, sms_phone AS SmsPhone, sms_from AS SmsFrom, sms_claimed_at AS SmsClaimedAt, sms_sends AS SmsSends
        """;

    // Note: no phone or no shop line settles the alert as failed at once; a claim without them could never send.
    private const string ClaimSql = """
        UPDATE orchestrator.staff_alerts a
        SET sms_status = CASE WHEN u.phone IS NULL THEN 'failed: the user has no phone' WHEN @From IS NULL THEN 'failed: no shop line to text from' ELSE 'sending' END,
            sms_phone = u.phone, sms_from = @From, sms_claimed_at = @At, sms_sends = a.sms_sends + 1,
            sms_check_after = CASE WHEN u.phone IS NULL OR @From IS NULL THEN NULL ELSE @CheckAfter END
        FROM orchestrator.users u
        WHERE a.item_id = @ItemId AND a.trigger = @Trigger AND a.sms_status = 'pending' AND u.id = a.user_id
        RETURNING a.sms_status
        """;

    private const string LockClaimSql = $"""
        SELECT {Columns} FROM orchestrator.staff_alerts
        WHERE item_id = @ItemId AND trigger = @Trigger AND sms_status = 'sending' AND sms_claimed_at = @ClaimedAt
        FOR UPDATE
        """;

    private const string SettleSql = """
        UPDATE orchestrator.staff_alerts SET sms_status = @Status, sms_sid = @Sid, sms_check_after = @CheckAfter
        WHERE item_id = @ItemId AND trigger = @Trigger
        """;

    // Note: SKIP LOCKED passes over a claim whose attempt still holds it, and over a row another replica is settling.
    private const string NextDueSql = $"""
        SELECT {Columns} FROM orchestrator.staff_alerts
        WHERE sms_check_after <= @Now AND sms_status IN ('sending', 'unknown')
        ORDER BY sms_check_after
        LIMIT 1
        FOR UPDATE SKIP LOCKED
        """;

    private const string ReclaimSql = """
        UPDATE orchestrator.staff_alerts SET sms_status = 'sending', sms_claimed_at = @At, sms_check_after = @CheckAfter, sms_sends = sms_sends + 1
        WHERE item_id = @ItemId AND trigger = @Trigger
        """;

    private const string PostponeSql = "UPDATE orchestrator.staff_alerts SET sms_check_after = @CheckAfter WHERE item_id = @ItemId AND trigger = @Trigger";

    private const string TakenSql = "SELECT sms_sid FROM orchestrator.staff_alerts WHERE sms_sid = ANY(@Sids)";

    /// <summary>How far Twilio's clock and ours may disagree.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(2);

    /// <summary>Claims the alert's SMS and sends it; a second delivery of the same event finds it claimed and does nothing.</summary>
    public async Task SendAsync(Guid itemId, string trigger, CancellationToken ct)
    {
        var now = Microseconds(time.GetUtcNow());
        string? status;
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            status = await c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(ClaimSql, new
            {
                ItemId = itemId, Trigger = trigger, From = business.Value.ShopLines.FirstOrDefault(), At = now, CheckAfter = now + options.Value.StaffAlertSmsLease,
            }, cancellationToken: ct));
        }

        if (status == "sending")
        {
            await AttemptAsync(itemId, trigger, now);
        }
    }

    /// <summary>
    /// One create for a claim, holding the claim's row; nothing when the claim was taken over meanwhile. Note: runs to
    /// its end whatever the caller's token says: a text abandoned half way may have left with nobody knowing.
    /// </summary>
    private async Task AttemptAsync(Guid itemId, string trigger, DateTimeOffset claimedAt)
    {
        var ct = CancellationToken.None;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var claim = await c.QuerySingleOrDefaultAsync<StaffAlertSmsRow>(new CommandDefinition(LockClaimSql,
            new { ItemId = itemId, Trigger = trigger, ClaimedAt = claimedAt }, tx, cancellationToken: ct));
        if (claim is null)
        {
            return;
        }

        string status;
        string? sid = null;
        DateTimeOffset? checkAfter = null;
        try
        {
            var message = await twilio.CreateMessageAsync(
                new CreateMessageRequest(claim.SmsPhone!, claim.Detail ?? "", From: claim.SmsFrom, ValidityPeriod: options.Value.StaffAlertSmsValidity), ct);
            (status, sid) = ("sent " + message.Sid, message.Sid);
        }
        catch (TwilioApiException e)
        {
            status = "failed: " + (e.Code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? e.HttpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture));
            LogAlertSmsFailed(e, Phone.Mask(claim.SmsPhone), itemId);
        }
        catch (TwilioOutcomeUnknownException e)
        {
            (status, checkAfter) = ("unknown", time.GetUtcNow() + FirstCheckAfter);
            LogAlertSmsUnknown(e, Phone.Mask(claim.SmsPhone), itemId);
        }

        await c.ExecuteAsync(new CommandDefinition(SettleSql, new { Status = status, Sid = sid, CheckAfter = checkAfter, ItemId = itemId, Trigger = trigger }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
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
        var now = Microseconds(time.GetUtcNow());
        StaffAlertSmsRow claim;
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            await using var tx = await c.BeginTransactionAsync(ct);
            var due = await c.QuerySingleOrDefaultAsync<StaffAlertSmsRow>(new CommandDefinition(NextDueSql, new { Now = now }, tx, cancellationToken: ct));
            if (due is null)
            {
                return false;
            }

            claim = due;
            var claimedAt = new DateTimeOffset(claim.SmsClaimedAt!.Value, TimeSpan.Zero);
            var keys = new { claim.ItemId, claim.Trigger };
            var listed = await twilio.ListMessagesAsync(new ListMessagesRequest(claim.SmsPhone!, DateOnly.FromDateTime((claimedAt - ClockSkew).UtcDateTime)), ct);
            var latest = claimedAt + options.Value.StaffAlertSmsLease + ClockSkew;
            var candidates = listed
                .Where(m => m.Direction.StartsWith("outbound", StringComparison.Ordinal) && m.Status is not ("failed" or "canceled")
                    && string.Equals(m.Body, claim.Detail, StringComparison.Ordinal) && m.From == claim.SmsFrom
                    && (m.DateCreated ?? m.DateSent) is { } created && created >= claimedAt - ClockSkew && created <= latest)
                .ToList();
            var taken = candidates.Count == 0
                ? []
                : (await c.QueryAsync<string>(new CommandDefinition(TakenSql, new { Sids = candidates.Select(m => m.Sid).ToArray() }, tx, cancellationToken: ct)))
                    .ToHashSet(StringComparer.Ordinal);
            var match = candidates.FirstOrDefault(m => !taken.Contains(m.Sid));
            if (match is not null)
            {
                await c.ExecuteAsync(new CommandDefinition(SettleSql, new { Status = "sent " + match.Sid, Sid = match.Sid, CheckAfter = (DateTimeOffset?)null, claim.ItemId, claim.Trigger },
                    tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
                LogSettled(claim.ItemId, claim.Trigger, match.Sid);
                return true;
            }

            if (now < claimedAt + options.Value.StaffAlertSmsLease)
            {
                // Twilio may still be holding the text in its queue: not listed is not yet "not sent".
                await c.ExecuteAsync(new CommandDefinition(PostponeSql, new { keys.ItemId, keys.Trigger, CheckAfter = claimedAt + options.Value.StaffAlertSmsLease }, tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
                return true;
            }

            if (claim.SmsSends >= MaxSends)
            {
                await c.ExecuteAsync(new CommandDefinition(SettleSql, new { Status = $"failed: not listed by Twilio after {MaxSends} sends", Sid = (string?)null, CheckAfter = (DateTimeOffset?)null, claim.ItemId, claim.Trigger },
                    tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
                LogGaveUp(claim.ItemId, claim.Trigger);
                return true;
            }

            // Note: past the lease Twilio has sent the text (and lists it) or dropped it (ValidityPeriod), so one more
            // create cannot make a second text. The new claim is committed before the create, as the consumer's is.
            await c.ExecuteAsync(new CommandDefinition(ReclaimSql, new { keys.ItemId, keys.Trigger, At = now, CheckAfter = now + options.Value.StaffAlertSmsLease }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
        }

        LogResending(claim.ItemId, claim.Trigger, Phone.Mask(claim.SmsPhone));
        await AttemptAsync(claim.ItemId, claim.Trigger, now);
        return true;
    }

    // Note: the claim time identifies the claim (the attempt locks "its" claim by it), so it is cut to PostgreSQL's
    // microseconds before it is stored, or the stored value would never equal the one in hand.
    private static DateTimeOffset Microseconds(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % 10), TimeSpan.Zero);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Texting a staff alert to {Phone} for item {ItemId} failed")]
    private partial void LogAlertSmsFailed(Exception e, string phone, Guid itemId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A staff alert text to {Phone} for item {ItemId} may or may not have reached Twilio; it will be looked up before any resend")]
    private partial void LogAlertSmsUnknown(Exception e, string phone, Guid itemId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Staff alert {Trigger} of item {ItemId}: Twilio lists its text {MessageSid}")]
    private partial void LogSettled(Guid itemId, string trigger, string messageSid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Staff alert {Trigger} of item {ItemId}: Twilio lists no text to {Phone} after the lease; sending it again")]
    private partial void LogResending(Guid itemId, string trigger, string phone);

    [LoggerMessage(Level = LogLevel.Error, Message = "Staff alert {Trigger} of item {ItemId}: Twilio lists none of its texts; given up")]
    private partial void LogGaveUp(Guid itemId, string trigger);
}

/// <summary>Runs <see cref="StaffAlertSms.ReconcileDueAsync"/> on every replica (rows are shared with SKIP LOCKED); a failure is logged and backed off.</summary>
public sealed partial class StaffAlertSmsReconciler(StaffAlertSms sms, MigrationState migrations, ILogger<StaffAlertSmsReconciler> logger) : BackgroundService
{
    /// <summary>How often due claims are looked for (infrastructure time; "due" is business time).</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!migrations.Done)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), stoppingToken);
        }

        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await sms.ReconcileDueAsync(50, stoppingToken) < 50)
                {
                    await Task.Delay(Poll, stoppingToken);
                }

                backoff = TimeSpan.FromMilliseconds(200);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogFailed(e, backoff);
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 30_000));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settling staff alert texts failed; retrying in {Delay}")]
    private partial void LogFailed(Exception e, TimeSpan delay);
}
