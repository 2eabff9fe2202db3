using Dapper;
using MassTransit;
using Npgsql;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Orchestrator.Alerts;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Telephony.Messaging;

namespace RecoveryComms.Orchestrator.Sms;

/// <summary>Twilio's delivery reports of the loop's SMS, on the item's timeline.</summary>
public sealed class SmsDeliveryConsumer(NpgsqlDataSource dataSource, ItemChanges changes) : IConsumer<MessageStatusReported>
{
    private static readonly string[] Worth = ["delivered", "undelivered", "failed"];

    public async Task Consume(ConsumeContext<MessageStatusReported> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        if (!Worth.Contains(m.Status))
        {
            return;
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var itemId = await SmsSlotStore.DeliveryAsync(c, tx, m.MessageSid, m.Status, ct);
        if (itemId is { } id && await RecoveryItemStore.LockAsync(c, tx, id, ct) is { } item)
        {
            await changes.ApplyAsync(c, tx, item, Actor.System, RecoveryItem.SmsDelivery(m.Status, m.ErrorCode), ct);
        }

        await tx.CommitAsync(ct);
    }
}
