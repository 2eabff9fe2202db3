using MassTransit;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Orchestrator.Items;

namespace RecoveryComms.Orchestrator.Intake;

/// <summary>Asks the consent service (request/response over the bus) who a number belongs to.</summary>
public sealed partial class Contacts(IClientFactory clients, TimeProvider time, ILogger<Contacts> logger)
{
    /// <summary>
    /// The contact of an E.164 number. Note: when the consent service does not answer, the number alone is the
    /// contact: the call still becomes an item now (a missed call must never wait on another service), and only
    /// the merge with the customer's other numbers is lost for this one.
    /// </summary>
    public async Task<ContactInfo> ResolveAsync(string e164, CancellationToken ct)
    {
        try
        {
            var answer = await clients.CreateRequestClient<ResolveContact>().GetResponse<ContactResolved>(new ResolveContact(NewId.NextGuid(), e164, time.GetUtcNow()), ct, RequestTimeout.After(s: 5));
            return new ContactInfo(answer.Message.ContactKey, answer.Message.AccountId, answer.Message.AccountName);
        }
        catch (RequestTimeoutException e)
        {
            LogUnresolved(e, Phone.Mask(e164));
            return new ContactInfo("phone:" + e164, null, null);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The consent service did not resolve {Phone} in time; the number alone is its contact")]
    private partial void LogUnresolved(Exception e, string phone);
}
