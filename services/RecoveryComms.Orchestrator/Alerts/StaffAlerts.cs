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
using RecoveryComms.Orchestrator.Users;

namespace RecoveryComms.Orchestrator.Alerts;

/// <summary>
/// Tells the person who must act when a backup trigger fires or an item is escalated: on the item's timeline and
/// the console stream always, and by SMS to their own phone when <c>Recovery__AlertStaffBySms</c> is on. At most
/// one alert per item and trigger (the primary key of <c>orchestrator.staff_alerts</c>, written by <see cref="StaffAlertStore"/>).
/// </summary>
public sealed class StaffAlerts(Outbox outbox, IOptions<RecoveryOptions> options, TimeProvider time)
{
    public const string AlertChannel = "orchestrator_alerts";

    /// <summary>What the live feed's <c>alert</c> event carries to the one user it is for.</summary>
    public sealed record FeedAlert(Guid ItemId, string Trigger, Guid? UserId, string UserName, string Text);

    /// <summary>The stored alert a NOTIFY named; null when there is none.</summary>
    public static Task<FeedAlert?> ReadForFeedAsync(NpgsqlConnection c, Guid itemId, string trigger, CancellationToken ct) =>
        StaffAlertStore.FeedAlertAsync(c, itemId, trigger, ct);

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

        var name = await UserStore.NameAsync(c, tx, userId.Value, ct) ?? "";
        if (!await StaffAlertStore.InsertAsync(c, tx, item.Id, trigger, userId.Value, time.GetUtcNow(), options.Value.AlertStaffBySms ? "console+sms" : "console",
            text, options.Value.AlertStaffBySms ? "pending" : null, ct))
        {
            return;
        }

        await StaffAlertStore.NotifyAsync(c, tx, item.Id, trigger, ct);
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
            status = await StaffAlertStore.ClaimSmsAsync(c, itemId, trigger, now, now + options.Value.StaffAlertSmsLease, ct);
        }

        if (status != "sending")
        {
            return;
        }

        StaffAlertSmsRow claim;
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            claim = await StaffAlertStore.SmsClaimAsync(c, itemId, trigger, ct);
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
        var claim = await StaffAlertStore.NextDueSmsAsync(c, tx, now, ct);
        if (claim is null)
        {
            return false;
        }

        var was = claim.SmsStatus ?? "";
        LogAskingAgain(claim.ItemId, claim.Trigger, was);
        var result = await AskGateAsync(claim, ct);
        if (result is null)
        {
            await StaffAlertStore.PostponeSmsAsync(c, tx, claim.ItemId, claim.Trigger, now + options.Value.StaffAlertSmsLease, ct);
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
        await StaffAlertStore.SettleSmsAsync(c, tx, claim.ItemId, claim.Trigger, status, sid, checkAfter, ct);
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
