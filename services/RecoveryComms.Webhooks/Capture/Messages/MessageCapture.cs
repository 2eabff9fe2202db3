using Microsoft.Extensions.Options;
using RecoveryComms.Contracts;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Webhooks.FrontDoor;

namespace RecoveryComms.Webhooks.Capture.Messages;

/// <summary>What capture does with each text callback, inside the store's transaction. The routes name these steps.</summary>
public sealed class MessageCapture(Outbox outbox, FrontDoorTwiml frontDoor, IOptions<PhoneOptions> phones)
{
    private string Region => phones.Value.DefaultRegion;

    /// <summary>An inbound text, passed on as it came (the consent service reads the keywords).</summary>
    public Task InboundAsync(CaptureContext s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var messageSid = s.Request.Required("MessageSid");
        var from = Phone.NormalizeOrRaw(s.Request.Required("From"), Region);
        return outbox.EnqueueAsync(s.Connection, s.Tx, new InboundSmsReceived(
            CorrelationIds.For(messageSid), messageSid,
            from,
            Phone.NormalizeOrRaw(s.Request.Required("To"), Region),
            s.Request["Body"] ?? "",
            s.Request["OptOutType"],
            s.Request.OptionalInt("NumMedia") ?? 0,
            frontDoor.IsAfterHours(s.Request.ReceivedAt),
            frontDoor.IsStaff(from),
            s.Request.OccurredAt), s.Ct);
    }

    /// <summary>An outbound text's status: published only when it moves the message forward.</summary>
    public async Task StatusAsync(CaptureContext s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var messageSid = s.Request.Required("MessageSid");
        var status = s.Request.Required("MessageStatus");
        var errorCode = s.Request.OptionalInt("ErrorCode");
        if (await MessageStore.TryAdvanceAsync(s.Connection, s.Tx, messageSid, status, errorCode, s.Request.OccurredAt, s.Ct))
        {
            await outbox.EnqueueAsync(s.Connection, s.Tx, new MessageStatusReported(
                CorrelationIds.For(messageSid), messageSid, status, errorCode, s.Request["ErrorMessage"],
                OptionalE164(s.Request["To"]), OptionalE164(s.Request["From"]), frontDoor.IsAfterHours(s.Request.ReceivedAt),
                s.Request.OccurredAt), s.Ct);
        }
    }

    private string? OptionalE164(string? number) => number is null ? null : Phone.NormalizeOrRaw(number, Region);
}
