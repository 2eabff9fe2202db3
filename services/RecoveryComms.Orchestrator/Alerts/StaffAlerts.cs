using Dapper;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Contracts.Recovery;
using RecoveryComms.Hosting.Business;
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

        await c.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@Channel, @Payload)", new
        {
            Channel = AlertChannel,
            Payload = System.Text.Json.JsonSerializer.Serialize(new { itemId = item.Id, trigger, userId, userName = name, text }),
        }, tx, cancellationToken: ct));
        if (options.Value.AlertStaffBySms)
        {
            await outbox.EnqueueAsync(c, tx, new StaffAlertRaised(item.Id, item.Id, trigger, userId.Value, name, text, time.GetUtcNow()), ct);
        }
    }
}

/// <summary>Texts a staff alert to the person's own phone: staff, not customers, so no consent gate.</summary>
public sealed partial class StaffAlertSmsConsumer(
    NpgsqlDataSource dataSource, ITwilioRestClient twilio, IOptions<BusinessOptions> business,
    ILogger<StaffAlertSmsConsumer> logger) : IConsumer<StaffAlertRaised>
{
    public async Task Consume(ConsumeContext<StaffAlertRaised> context)
    {
        var alert = context.Message;
        var ct = context.CancellationToken;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        // Claim the alert's one SMS: a redelivered event finds it taken and sends nothing.
        var phone = await c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            """
            UPDATE orchestrator.staff_alerts a SET sms_status = 'sending'
            FROM orchestrator.users u
            WHERE a.item_id = @ItemId AND a.trigger = @Trigger AND a.sms_status = 'pending' AND u.id = a.user_id
            RETURNING u.phone
            """, new { alert.ItemId, alert.Trigger }, cancellationToken: ct));
        if (phone is null)
        {
            return;
        }

        string status;
        try
        {
            var from = business.Value.ShopLines.FirstOrDefault() ?? throw new InvalidOperationException("Business:ShopLines is empty: no number to text staff from.");
            var message = await twilio.CreateMessageAsync(new CreateMessageRequest(phone, alert.Text, From: from), ct);
            status = "sent " + message.Sid;
        }
        catch (Exception e) when (e is TwilioApiException or TwilioOutcomeUnknownException or InvalidOperationException or HttpRequestException)
        {
            status = "failed: " + e.GetType().Name;
            LogAlertSmsFailed(e, Phone.Mask(phone), alert.ItemId);
        }

        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE orchestrator.staff_alerts SET sms_status = @Status WHERE item_id = @ItemId AND trigger = @Trigger",
            new { Status = status, alert.ItemId, alert.Trigger }, cancellationToken: ct));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Texting a staff alert to {Phone} for item {ItemId} failed")]
    private partial void LogAlertSmsFailed(Exception e, string phone, Guid itemId);
}
