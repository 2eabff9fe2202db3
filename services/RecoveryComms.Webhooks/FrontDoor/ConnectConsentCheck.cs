using MassTransit;
using RecoveryComms.Contracts;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Webhooks.Capture;
using RecoveryComms.Webhooks.Capture.Intake;

namespace RecoveryComms.Webhooks.FrontDoor;

/// <summary>
/// The CSR answered a click-to-call leg: before the customer is dialled, the consent service is asked once more
/// whether the number may be called. The orchestrator asked when the CSR clicked, but the CSR's phone rings for up
/// to half a minute, and a do-not-contact recorded meanwhile (the customer called back and said so, a STOP, a
/// colleague's disposition) must not be bridged. A refusal hangs up the CSR's leg with a word of why; the customer
/// is never dialled.
/// </summary>
/// <remarks>
/// Note: fails open, and only within <see cref="Budget"/>. When the consent service or the broker does not answer
/// in time the bridge goes ahead: the number was checked (failing closed) seconds before when the call was placed,
/// so what is missed is only a do-not-contact recorded during the ring while consent was also unreachable; failing
/// closed instead would turn every broker outage into callbacks that ring the CSR and then drop, and the answer
/// must reach Twilio well inside its 15 s webhook timeout with the CSR listening to silence meanwhile. A refusal
/// from consent always wins (fails closed).
/// </remarks>
public sealed partial class ConnectConsentCheck(IClientFactory clients, FrontDoorTwiml frontDoor, ILogger<ConnectConsentCheck> logger)
{
    /// <summary>How long the CSR's answered leg waits for consent's answer at most.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    /// <summary>The answer that replaces the bridge when consent refuses the call; null to bridge.</summary>
    public async Task<WebhookAnswer?> RefusalAsync(WebhookRequest request, string customer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var callSid = request.Required("CallSid");
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(Budget);
        SuppressionDecision decision;
        try
        {
            var consent = clients.CreateRequestClient<CheckSuppression>(RequestTimeout.After(ms: (int)Budget.TotalMilliseconds));
            decision = (await consent.GetResponse<SuppressionDecision>(
                new CheckSuppression(CorrelationIds.For(callSid), customer, "voice", request.OccurredAt), budget.Token)).Message;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            LogUnchecked(e, Phone.Mask(customer), callSid);
            return null;
        }

        if (decision.Allowed)
        {
            return null;
        }

        var reasons = string.Join(", ", decision.Reasons);
        LogRefused(Phone.Mask(customer), callSid, reasons);
        return WebhookAnswer.TwiML(frontDoor.ConnectRefused());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not bridging click-to-call {CallSid} to {Phone}: the consent service now refuses the call ({Reasons})")]
    private partial void LogRefused(string phone, string callSid, string reasons);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The consent service did not answer in time for click-to-call {CallSid} to {Phone}; bridging on the check made when the call was placed")]
    private partial void LogUnchecked(Exception e, string phone, string callSid);
}
