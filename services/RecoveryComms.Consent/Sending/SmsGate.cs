using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Consent.Ledger;
using RecoveryComms.Consent.Suppression;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Telephony;
using RecoveryComms.Telephony.Rest;

namespace RecoveryComms.Consent.Sending;

/// <summary>
/// The only way an SMS leaves, at most once per SendId (docs/consent.md, "The send gate: one text per SendId"):
/// <list type="number">
/// <item>The SendId is claimed in its own committed <c>sending</c> row before anything else. A second request with
/// the same SendId (a bus redelivery, a concurrent duplicate) waits for the first on an advisory lock and then
/// answers with its outcome; it never calls Twilio.</item>
/// <item>The attempt locks its claim row and the number (FOR SHARE on <c>consent.numbers</c>), decides, and calls
/// Twilio while still holding both; an opt-out takes the number's row FOR UPDATE. So a STOP either waits until a
/// send already under way has reached Twilio, or the send waits and then sees the opt-out: once the STOP is
/// acknowledged, no text leaves for that number. The price is a lock held for one Twilio request (at most
/// <see cref="TwilioOptions.RequestTimeout"/>), on one number.</item>
/// <item>A message create is never retried. When its answer is lost (network error, timeout, 5xx) the send is
/// recorded <c>unknown</c>, and <see cref="SmsSendReconciler"/> settles it from Twilio's message list.</item>
/// </list>
/// </summary>
public sealed partial class SmsGate(
    NpgsqlDataSource dataSource, SuppressionPolicy policy, ConsentStore consent, ITwilioRestClient twilio, ISmsSendHook hook, KeyEventVerifier verifier,
    IOptions<MessagingOptions> messaging, IOptions<TwilioOptions> twilioOptions, IOptions<ConsentOptions> options, IOptions<SmsSendingOptions> sending,
    TimeProvider time, ILogger<SmsGate> logger)
{
    /// <summary>
    /// Reasons a staff message is not refused for. Note: a staff alert goes to the staff member's own phone, given
    /// for alerts, and is not a solicitation: it needs no customer consent, and an escalation after 21:00 must still
    /// reach the manager (quiet hours, and the zone they need, are the customer rule). A STOP from that phone, a
    /// do-not-contact or flag on it, and the shop's A2P registration apply to it as to every text.
    /// </summary>
    private static readonly HashSet<string> StaffExempt = new(StringComparer.Ordinal) { "no-consent", "quiet-hours", "zone-unknown" };

    public Task<SmsSendResult> SendAsync(SendSms request, CancellationToken ct) => SendAsync(request, staff: false, ct);

    /// <summary>A staff alert, through the same claim, lock and reconciliation as every text, decided as a staff message.</summary>
    public Task<SmsSendResult> SendStaffAsync(SendStaffSms request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!verifier.IsValid(request))
        {
            // Note: a staff message skips customer consent and quiet hours; one the orchestrator did not sign came from
            // someone else with broker credentials. Refused, never claimed, so nothing of it is stored or sent.
            LogUnsignedStaffMessage(request.SendId, Phone.Mask(request.Phone));
            return Task.FromResult(new SmsSendResult(request.CorrelationId, request.SendId, SmsSendStatus.Refused, ["unsigned-staff-message"], null, time.GetUtcNow()));
        }

        return SendAsync(new SendSms(request.CorrelationId, request.SendId, request.Phone, request.Body, request.OccurredAt), staff: true, ct);
    }

    private async Task<SmsSendResult> SendAsync(SendSms request, bool staff, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        if (Phone.IsWithheld(request.Phone) || !Phone.TryNormalize(request.Phone, options.Value.DefaultRegion, out var e164))
        {
            return new SmsSendResult(request.CorrelationId, request.SendId, SmsSendStatus.Refused, [Phone.IsWithheld(request.Phone) ? "anonymous" : "invalid-number"], null, now);
        }

        if (string.IsNullOrWhiteSpace(request.Body) || request.Body.Length > 1600)
        {
            return new SmsSendResult(request.CorrelationId, request.SendId, SmsSendStatus.Refused, ["invalid-body"], null, now);
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        await SmsSendStore.LockSendIdAsync(c, request.SendId, ct);
        try
        {
            if (!await SmsSendStore.ClaimAsync(c, request.SendId, e164, request.Body, now, now + sending.Value.StaleClaimAfter, ct))
            {
                // The same request again: never a second text, only what is known about the first.
                var previous = await SmsSendStore.FindAsync(c, null, request.SendId, forUpdate: false, ct);
                return Answer(request, previous!);
            }

            return await AttemptAsync(c, request, e164, staff, ct);
        }
        finally
        {
            await UnlockAsync(c, request.SendId);
        }
    }

    private async Task<SmsSendResult> AttemptAsync(NpgsqlConnection c, SendSms request, string e164, bool staff, CancellationToken ct)
    {
        // False until the claim must outlive a failure of this attempt: from the Twilio call on (the text may have
        // left), or once the claim turns out settled already.
        var keepClaim = false;
        try
        {
            await using var tx = await c.BeginTransactionAsync(ct);
            // Note: the claim row first, then the number: the same order everywhere (the reconciler never takes a
            // number lock, an opt-out never takes a claim row), so no two of them can deadlock.
            var claim = (await SmsSendStore.FindAsync(c, tx, request.SendId, forUpdate: true, ct))!;
            if (claim.Status != SmsSendStatus.Sending)
            {
                // Settled by the reconciler while this attempt was stalled: it must not send now.
                keepClaim = true;
                return Answer(request, claim);
            }

            await ConsentStore.LockAsync(c, tx, e164, exclusive: false, ct);
            var decision = await policy.DecideAsync(c, tx, e164, "sms", ct);
            var refusals = staff ? decision.Reasons.Where(reason => !StaffExempt.Contains(reason)).ToList() : decision.Reasons;
            if (refusals.Count > 0)
            {
                await SmsSendStore.SettleAsync(c, tx, request.SendId, SmsSendStatus.Refused, refusals, null, null, null, time.GetUtcNow(), ct);
                await tx.CommitAsync(ct);
                return new SmsSendResult(request.CorrelationId, request.SendId, SmsSendStatus.Refused, refusals, null, time.GetUtcNow());
            }

            await hook.BeforeTwilioAsync(request.SendId, e164, ct);

            // Note: from here the attempt runs to its end and is recorded whatever the caller's token says: a text
            // abandoned half way may have left with nobody knowing. The Twilio request has its own timeout.
            keepClaim = true;
            var outcome = await CallTwilioAsync(request, e164, claim.DecidedAt);
            await SmsSendStore.SettleAsync(c, tx, request.SendId, outcome.Status, outcome.Reasons, outcome.Sid, outcome.ErrorCode, outcome.CheckAfter,
                time.GetUtcNow(), CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
            if (outcome.ErrorCode == TwilioApiException.UnsubscribedRecipient)
            {
                // 21610 at send time: the carrier already holds an opt-out; record it so nothing is tried again.
                await consent.ChangeAsync(new ConsentChange(e164, "sms", ConsentStates.OptedOut, "carrier-error",
                    $"send:{request.SendId}", "twilio", "Twilio error 21610 when sending", time.GetUtcNow()), CancellationToken.None);
            }

            return new SmsSendResult(request.CorrelationId, request.SendId, outcome.Status, outcome.Reasons, outcome.Sid, time.GetUtcNow());
        }
        catch (Exception e) when (!keepClaim)
        {
            // Nothing left: give the claim back so that a retry of this SendId may send.
            await ReleaseAsync(c, request.SendId, e);
            throw;
        }
    }

    private async Task<Outcome> CallTwilioAsync(SendSms request, string e164, DateTime claimedAt)
    {
        var statusCallback = new Uri(TwilioCallbacks.Callback(twilioOptions.Value.PublicBaseUrl, TwilioCallbacks.SmsStatus));
        try
        {
            var message = await twilio.CreateMessageAsync(new CreateMessageRequest(
                e164, request.Body, messaging.Value.MessagingServiceSid is null ? messaging.Value.From : null,
                messaging.Value.MessagingServiceSid, statusCallback, sending.Value.ValidityPeriod), CancellationToken.None);
            return new Outcome(SmsSendStatus.Sent, [], message.Sid, null, null);
        }
        catch (TwilioApiException e)
        {
            LogTwilioRefused(e, Phone.Mask(e164));
            var code = e.Code?.ToString(CultureInfo.InvariantCulture) ?? e.HttpStatus.ToString(CultureInfo.InvariantCulture);
            return new Outcome(SmsSendStatus.Failed, [$"twilio-{code}"], null, e.Code, null);
        }
        catch (TwilioOutcomeUnknownException e)
        {
            LogOutcomeUnknown(e, Phone.Mask(e164), request.SendId, new DateTimeOffset(claimedAt, TimeSpan.Zero));
            return new Outcome(SmsSendStatus.Unknown, [], null, null, time.GetUtcNow() + sending.Value.FirstCheckAfter);
        }
    }

    private static SmsSendResult Answer(SendSms request, SmsSend previous) =>
        new(request.CorrelationId, request.SendId,
            // Note: a claim still 'sending' here belongs to an attempt that died: whether it reached Twilio is unknown.
            previous.Status == SmsSendStatus.Sending ? SmsSendStatus.Unknown : previous.Status,
            previous.Reasons, previous.MessageSid, new DateTimeOffset(previous.DecidedAt, TimeSpan.Zero));

    private async Task ReleaseAsync(NpgsqlConnection c, Guid sendId, Exception cause)
    {
        try
        {
            await SmsSendStore.ReleaseAsync(c, sendId);
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            // The claim stays: a retry answers "unknown" and the reconciler settles it as failed (Twilio lists nothing).
            LogReleaseFailed(e, sendId, cause.Message);
        }
    }

    private async Task UnlockAsync(NpgsqlConnection c, Guid sendId)
    {
        try
        {
            await SmsSendStore.UnlockSendIdAsync(c, sendId);
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            // A broken connection is discarded, and PostgreSQL drops a session's advisory locks with it.
            LogUnlockFailed(e, sendId);
        }
    }

    private sealed record Outcome(string Status, IReadOnlyList<string> Reasons, string? Sid, int? ErrorCode, DateTimeOffset? CheckAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A staff message {SendId} to {Phone} was not signed by the orchestrator; refused")]
    private partial void LogUnsignedStaffMessage(Guid sendId, string phone);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio refused a text to {Phone}")]
    private partial void LogTwilioRefused(Exception e, string phone);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A text to {Phone} (send {SendId}, claimed {ClaimedAt:O}) may or may not have reached Twilio; it will be looked up, never resent")]
    private partial void LogOutcomeUnknown(Exception e, string phone, Guid sendId, DateTimeOffset claimedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not release the claim of send {SendId} after its attempt failed before Twilio ({Cause})")]
    private partial void LogReleaseFailed(Exception e, Guid sendId, string cause);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not release the lock of send {SendId}; the connection is dropped with it")]
    private partial void LogUnlockFailed(Exception e, Guid sendId);
}

/// <summary>Customers' texts and staff alerts, both answered with the gate's <see cref="SmsSendResult"/>.</summary>
public sealed class SendSmsConsumer(SmsGate gate) : IConsumer<SendSms>, IConsumer<SendStaffSms>
{
    public async Task Consume(ConsumeContext<SendSms> context) =>
        await context.RespondAsync(await gate.SendAsync(context.Message, context.CancellationToken));

    public async Task Consume(ConsumeContext<SendStaffSms> context) =>
        await context.RespondAsync(await gate.SendStaffAsync(context.Message, context.CancellationToken));
}
