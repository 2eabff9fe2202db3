using MassTransit;
using Microsoft.Extensions.Options;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Consent.Ledger;

/// <summary>A CSR's do-not-contact, wrong-number or spam disposition, from the orchestrator.</summary>
public sealed class DispositionConsumer(ConsentStore store, IOptions<ConsentOptions> options) : IConsumer<RecordContactDisposition>
{
    public async Task Consume(ConsumeContext<RecordContactDisposition> context)
    {
        var d = context.Message;
        if (!Phone.TryNormalize(d.Phone, options.Value.DefaultRegion, out var phone))
        {
            return;
        }

        if (d.DoNotContact)
        {
            foreach (var channel in new[] { "voice", "sms" })
            {
                await store.ChangeAsync(new ConsentChange(phone, channel, ConsentStates.DoNotContact, "csr-disposition",
                    d.DispositionId.ToString(), $"{d.UserName} ({d.UserId})", string.IsNullOrWhiteSpace(d.Note) ? "Asked not to be contacted again" : d.Note, d.OccurredAt), context.CancellationToken);
            }
        }

        if (d.WrongNumber || d.Spam)
        {
            await store.FlagAsync(new NumberFlagChange(phone, d.WrongNumber ? true : null, d.Spam ? true : null, "csr-disposition", d.DispositionId.ToString(),
                $"{d.UserName} ({d.UserId})", string.IsNullOrWhiteSpace(d.Note) ? "CSR disposition" : d.Note, d.OccurredAt), context.CancellationToken);
        }
    }
}
