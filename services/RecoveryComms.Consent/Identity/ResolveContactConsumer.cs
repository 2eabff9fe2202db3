using MassTransit;
using RecoveryComms.Contracts.Consent;

namespace RecoveryComms.Consent.Identity;

/// <summary>The bus twin of <c>GET /api/contacts/resolve</c>: the orchestrator merges repeat calls by its answer.</summary>
public sealed class ResolveContactConsumer(AccountStore accounts, TimeProvider time) : IConsumer<ResolveContact>
{
    public async Task Consume(ConsumeContext<ResolveContact> context)
    {
        var question = context.Message;
        var contact = await accounts.ResolveAsync(question.Phone, context.CancellationToken);
        var name = contact.AccountId is { } id ? await accounts.NameAsync(id, context.CancellationToken) : null;
        await context.RespondAsync(new ContactResolved(question.CorrelationId, question.Phone, contact.ContactKey ?? "phone:" + question.Phone,
            contact.AccountId, name, contact.Phones, time.GetUtcNow()));
    }
}
