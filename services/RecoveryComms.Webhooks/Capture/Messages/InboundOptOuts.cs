using MassTransit;
using RecoveryComms.Contracts;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting;
using RecoveryComms.Telephony;
using RecoveryComms.Telephony.Messaging;
using RecoveryComms.Telephony.TwiML;
using RecoveryComms.Webhooks.Capture.Intake;

namespace RecoveryComms.Webhooks.Capture.Messages;

/// <summary>
/// An opt-out text is answered only after the consent service has recorded it: from the moment Twilio hears
/// back, no text leaves for that number. If the consent service does not confirm in time, Twilio gets 503 and
/// retries (the webhook itself is already stored or spooled, so nothing is lost either way).
/// </summary>
public sealed partial class InboundOptOuts(IClientFactory clients, ILogger<InboundOptOuts> logger)
{
    public static bool IsOptOut(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Route == TwilioCallbacks.SmsIncoming
            && SmsKeywords.Classify(request["Body"], request["OptOutType"], currentlyOptedOut: false) is SmsIntent.OptOut or SmsIntent.OptOutNeedsReview;
    }

    public async Task<IResult> ConfirmAsync(WebhookRequest request, WebhookAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        var messageSid = request.Required("MessageSid");
        try
        {
            var consent = clients.CreateRequestClient<RecordOptOut>(RequestTimeout.After(s: 5));
            var recorded = await consent.GetResponse<OptOutRecorded>(new RecordOptOut(
                CorrelationIds.For(messageSid), messageSid, request.Required("From"), request["Body"] ?? "", request["OptOutType"],
                SmsKeywords.Classify(request["Body"], request["OptOutType"], currentlyOptedOut: false) == SmsIntent.OptOutNeedsReview,
                request.OccurredAt));
            // At most one confirmation: a number that was already opted out gets none.
            return recorded.Message.AlreadyOptedOut
                ? Results.Content(Twiml.Render(Twiml.Response()), Twiml.ContentType)
                : answer.ToResult();
        }
        catch (Exception e) when (e is RequestTimeoutException or RequestFaultException or OperationCanceledException)
        {
            LogNotConfirmed(e, messageSid);
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "opt-out-not-confirmed",
                "The opt-out is stored but not yet confirmed by the consent service; retry.");
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The consent service did not confirm the opt-out in message {MessageSid}; answering 503 so Twilio retries")]
    private partial void LogNotConfirmed(Exception e, string messageSid);
}
