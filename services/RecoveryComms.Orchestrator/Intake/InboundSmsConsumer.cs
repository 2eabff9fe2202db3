using Dapper;
using MassTransit;
using Npgsql;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Orchestrator.Alerts;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Telephony.Messaging;

namespace RecoveryComms.Orchestrator.Intake;

/// <summary>
/// A text from a customer with an open item: STOP ends the loop at once (outcome <c>opted-out</c>; the consent
/// service records the opt-out itself); any other reply moves the item to waiting-on-customer, so attempt 2 is
/// skipped, and tells the owner.
/// </summary>
public sealed class InboundSmsConsumer(NpgsqlDataSource dataSource, Contacts contacts, ItemChanges changes, StaffAlerts alerts) : IConsumer<InboundSmsReceived>
{
    public async Task Consume(ConsumeContext<InboundSmsReceived> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        if (m.IsInternal)
        {
            return;
        }

        var intent = SmsKeywords.Classify(m.Body, m.OptOutType, currentlyOptedOut: false);
        if (intent is SmsIntent.Help or SmsIntent.OptIn)
        {
            return;
        }

        var contact = await contacts.ResolveAsync(m.From, ct);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var ids = (await c.QueryAsync<Guid>(new CommandDefinition(
            """
            SELECT id FROM orchestrator.recovery_items
            WHERE status <> 'completed' AND (phone = @Phone OR contact_key = @ContactKey) ORDER BY priority, sort_at, id
            """, new { Phone = m.From, contact.ContactKey }, tx, cancellationToken: ct))).AsList();
        foreach (var id in ids)
        {
            var item = await RecoveryItemStore.LockAsync(c, tx, id, ct);
            if (item is null || !item.IsOpen || item.CustomerRepliedAt >= m.OccurredAt.UtcDateTime)
            {
                continue;
            }

            if (intent is SmsIntent.OptOut or SmsIntent.OptOutNeedsReview)
            {
                item.Dispose(Outcomes.OptedOut, null, "The customer texted STOP.", null, null, changes.Now);
                await changes.SaveAsync(c, tx, item, Actor.System, TimelineKinds.OptedOut, "The customer texted STOP: the loop ends now.", ct);
                continue;
            }

            item.CustomerRepliedAt = m.OccurredAt.UtcDateTime;
            item.Status = ItemStatuses.WaitingOnCustomer;
            await changes.SaveAsync(c, tx, item, Actor.System, TimelineKinds.CustomerReplied, m.Body.Length > 300 ? m.Body[..300] : m.Body, ct);
            await alerts.RaiseAsync(c, tx, item, "customer-replied:" + m.MessageSid, item.PrimaryOwnerId, "A customer replied to your callback text.", ct);
        }

        await tx.CommitAsync(ct);
    }
}
