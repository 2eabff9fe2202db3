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
        var itemId = await c.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "UPDATE orchestrator.recovery_sms SET delivery = @Status WHERE message_sid = @Sid AND delivery IS DISTINCT FROM @Status RETURNING item_id",
            new { m.Status, Sid = m.MessageSid }, tx, cancellationToken: ct));
        var item = itemId is { } id ? await RecoveryItemStore.LockAsync(c, tx, id, ct) : null;
        if (item is not null)
        {
            await changes.NoteAsync(c, tx, item, Actor.System, TimelineKinds.SmsDelivery,
                m.ErrorCode is { } code ? $"SMS {m.Status} (Twilio error {code})." : $"SMS {m.Status}.", ct);
        }

        await tx.CommitAsync(ct);
    }
}
