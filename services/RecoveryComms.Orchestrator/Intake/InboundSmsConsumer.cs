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
/// skipped, and tells the owner; a reply holding one of the shop's emergency phrases makes the item an emergency.
/// </summary>
public sealed class InboundSmsConsumer(NpgsqlDataSource dataSource, Contacts contacts, ItemChanges changes, ItemEmergencies emergencies) : IConsumer<InboundSmsReceived>
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
        var ids = await RecoveryItemStore.OpenForCustomerAsync(c, tx, m.From, contact.ContactKey, ct);
        foreach (var id in ids)
        {
            if (await RecoveryItemStore.LockAsync(c, tx, id, ct) is not { } item)
            {
                continue;
            }

            var change = intent is SmsIntent.OptOut or SmsIntent.OptOutNeedsReview
                ? item.OptedOut(m.OccurredAt.UtcDateTime, changes.Now)
                : item.CustomerReplied(m.Body, m.MessageSid, m.OccurredAt.UtcDateTime);
            await changes.ApplyAsync(c, tx, item, Actor.System, change, ct);
            if (intent is SmsIntent.Reply)
            {
                await emergencies.CheckAsync(c, tx, item, m.Body, EmergencySources.Sms, ct);
            }
        }

        await tx.CommitAsync(ct);
    }
}
