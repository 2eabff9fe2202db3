using System.Globalization;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Orchestrator.Actions;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Timers;
using RecoveryComms.Orchestrator.Views;
using RecoveryComms.Telephony.Rest;
using RecoveryComms.Telephony;

namespace RecoveryComms.Orchestrator.Attempts;

/// <summary>The answer to <c>POST /api/recoveries/{id}/call</c>.</summary>
/// <param name="CsrCallSid">The CSR leg's call SID; null when Twilio's answer was lost (<paramref name="State"/> <c>checking</c>).</param>
/// <param name="State"><c>placed</c>: Twilio created the call. <c>checking</c>: whether Twilio placed it is unknown; the attempt stays
/// live and the orchestrator looks the call up in Twilio's call list within <c>Recovery:AttemptSettleAfter</c>.</param>
public sealed record AttemptStarted(Guid AttemptId, Guid ItemId, int AttemptNumber, string? CsrCallSid, bool Recorded, string State = AttemptStates.Placed);

public static class AttemptStates
{
    public const string Placed = "placed";
    public const string Checking = "checking";
}

/// <summary>
/// Click-to-call: Twilio rings the CSR's own phone showing the shop line; when the CSR answers, the webhooks
/// service's <c>/twilio/voice/connect</c> bridges to the customer from the shop line. At most two counted
/// attempts per loop, one live at a time; never to a number the consent service suppresses for voice.
/// </summary>
public sealed partial class CallAttempts(
    NpgsqlDataSource dataSource, ItemChanges changes, ITwilioRestClient twilio, IClientFactory clients,
    IOptions<TwilioOptions> twilioOptions, IOptions<BusinessOptions> business, IOptions<RecoveryOptions> options, TimeProvider time,
    ILogger<CallAttempts> logger)
{
    /// <summary>How long Twilio rings the CSR's phone (Twilio may add a 5 s buffer).</summary>
    public const int RingTimeoutSeconds = 20;

    public async Task<ActionResult<AttemptStarted>> StartAsync(Guid itemId, Actor csr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(csr);
        var attemptId = Guid.CreateVersion7();
        string customer, shopLine, csrPhone;
        int number;
        var record = options.Value.RecordCallbacks;
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            var peek = await ItemQueries.GetAsync(c, null, itemId, ct);
            if (peek is null)
            {
                return Act.No<AttemptStarted>(404, "not-found", "No such recovery item.");
            }

            if (peek.Phone is null)
            {
                return Act.No<AttemptStarted>(422, "cannot-call-back", "The caller withheld their number: nobody can call back.");
            }

            // Note: asked before any row is locked: the consent service answers in milliseconds, but it is another process.
            var decision = await CheckVoiceAsync(peek.Phone, ct);
            if (decision is null)
            {
                return Act.No<AttemptStarted>(503, "consent-unavailable", "The consent service did not answer; no call was placed.", "Try again in a moment.");
            }

            if (!decision.Allowed)
            {
                return Act.No<AttemptStarted>(422, "suppressed", "This number may not be called.", string.Join(", ", decision.Reasons), decision.Reasons);
            }

            await using var tx = await c.BeginTransactionAsync(ct);
            var item = await RecoveryItemStore.LockAsync(c, tx, itemId, ct);
            if (item is null)
            {
                return Act.No<AttemptStarted>(404, "not-found", "No such recovery item.");
            }

            // Note: asked before the CSR's phone is looked up, so the refusals come in the loop's order (completed, owner, attempts).
            var startedAt = time.GetUtcNow();
            var placed = item.AttemptPlaced(csr.Id!.Value, csr.Name, startedAt.UtcDateTime, (startedAt + options.Value.AttemptSettleAfter).UtcDateTime);
            if (placed.Refusal is { } refusal)
            {
                return new ActionResult<AttemptStarted>(null, refusal);
            }

            var phone = await c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition("SELECT phone FROM orchestrator.users WHERE id = @Id", new { csr.Id }, tx, cancellationToken: ct));
            if (string.IsNullOrEmpty(phone))
            {
                return Act.No<AttemptStarted>(422, "no-csr-phone", "Your user has no phone number to ring.", "An admin sets it with the user's phone.");
            }

            csrPhone = phone;
            customer = item!.Phone!;
            // The line the customer called, when it is one of the shop's; else the shop's first line.
            var lines = business.Value.ShopLines;
            shopLine = item.ShopLine is { Length: > 0 } own && (lines.Count == 0 || lines.Contains(own)) ? own : lines.FirstOrDefault() ?? "";
            if (shopLine.Length == 0)
            {
                return Act.No<AttemptStarted>(422, "no-shop-line", "No shop line to call from (Business:ShopLines is empty).");
            }

            if (!await AttemptStore.TryInsertAsync(c, tx, attemptId, itemId, csr.Id.Value, startedAt, record, csrPhone, shopLine, ct))
            {
                return Act.No<AttemptStarted>(409, "attempt-in-progress", "A call for this item is already ringing.");
            }

            number = item.Attempts;
            // Note: the check timer is armed with the attempt, in its transaction: whatever happens after this commit (a
            // crash, a lost Twilio answer, lost status reports), the attempt is looked up at Twilio and settled.
            await changes.ApplyAsync(c, tx, item, csr, placed, ct);
            await tx.CommitAsync(ct);
        }

        return await PlaceAsync(attemptId, itemId, number, csr, csrPhone, shopLine, customer, record);
    }

    /// <summary>
    /// Asks Twilio for the call. Note: from here nothing runs on the request's token: a CSR whose browser drops
    /// the request must not leave a call Twilio placed unrecorded (the Twilio request has its own timeout).
    /// </summary>
    private async Task<ActionResult<AttemptStarted>> PlaceAsync(
        Guid attemptId, Guid itemId, int number, Actor csr, string csrPhone, string shopLine, string customer, bool record)
    {
        var ct = CancellationToken.None;

        var publicBase = twilioOptions.Value.PublicBaseUrl;
        var attempt = attemptId.ToString("D", CultureInfo.InvariantCulture);
        // Note: the attempt id rides in the (signed) query of both URLs, so a report finds its attempt even when the
        // SID below was never stored. The fragment sets Twilio's connection overrides; it is neither sent nor signed.
        var connect = TwilioCallbacks.Url(publicBase, TwilioCallbacks.VoiceConnect, $"customer={Uri.EscapeDataString(customer)}&callerId={Uri.EscapeDataString(shopLine)}{(record ? "&record=true" : "")}&attempt={attempt}");
        var statusCallback = TwilioCallbacks.Callback(publicBase, TwilioCallbacks.VoiceAttemptStatus, $"attempt={attempt}");
        CallResource call;
        try
        {
            call = await twilio.CreateCallAsync(new CreateCallRequest(csrPhone, shopLine, new Uri(connect), new Uri(statusCallback), TimeoutSeconds: RingTimeoutSeconds), ct);
        }
        catch (TwilioApiException e)
        {
            // A 4xx (a 429 only after its retries): Twilio did not process the request, so no call exists.
            LogNotPlaced(e, itemId);
            await NotPlacedAsync(attemptId, csr, $"Twilio refused the call ({e.Code?.ToString(CultureInfo.InvariantCulture) ?? e.HttpStatus.ToString(CultureInfo.InvariantCulture)})", ct);
            return Act.No<AttemptStarted>(502, "call-not-placed", "Twilio did not place the call; it does not count as an attempt.", e.GetType().Name);
        }
        catch (TwilioOutcomeUnknownException e)
        {
            // Twilio may have placed it: the attempt stays live, and its check timer finds the call in Twilio's list (or not).
            LogOutcomeUnknown(e, itemId, attemptId);
            return Act.Ok(new AttemptStarted(attemptId, itemId, number, null, record, AttemptStates.Checking));
        }

        try
        {
            await using var c = await dataSource.OpenConnectionAsync(ct);
            await AttemptStore.StoreCsrCallSidAsync(c, attemptId, call.Sid, ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The call is placed; its reports carry the attempt id, and the check timer adopts the SID from Twilio's list.
            LogSidNotStored(e, itemId, attemptId);
        }

        var masked = Phone.Mask(customer);
        LogPlaced(itemId, number, masked);
        return Act.Ok(new AttemptStarted(attemptId, itemId, number, call.Sid, record));
    }

    /// <summary>The call never reached the customer: it does not count, and the item is as it was.</summary>
    private async Task NotPlacedAsync(Guid attemptId, Actor actor, string error, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await AttemptOutcomes.NotPlacedAsync(c, tx, changes, attemptId, actor, error, time.GetUtcNow(), ct);
        await tx.CommitAsync(ct);
    }

    private async Task<SuppressionDecision?> CheckVoiceAsync(string phone, CancellationToken ct)
    {
        try
        {
            var answer = await clients.CreateRequestClient<CheckSuppression>().GetResponse<SuppressionDecision>(new CheckSuppression(NewId.NextGuid(), phone, "voice", time.GetUtcNow()), ct,
                RequestTimeout.After(s: (int)Math.Ceiling(options.Value.ConsentTimeout.TotalSeconds)));
            return answer.Message;
        }
        catch (RequestTimeoutException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Attempt {Number} of item {ItemId} placed to {Phone}")]
    private partial void LogPlaced(Guid itemId, int number, string phone);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio did not place the call for item {ItemId}")]
    private partial void LogNotPlaced(Exception e, Guid itemId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio's answer to the call of item {ItemId} (attempt {AttemptId}) was lost; the attempt is checked at Twilio")]
    private partial void LogOutcomeUnknown(Exception e, Guid itemId, Guid attemptId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The call of item {ItemId} (attempt {AttemptId}) is placed but its SID was not stored; the attempt is checked at Twilio")]
    private partial void LogSidNotStored(Exception e, Guid itemId, Guid attemptId);
}
