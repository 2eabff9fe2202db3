using Dapper;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Orchestrator.Queue;
using RecoveryComms.Telephony;
using RecoveryComms.Telephony.Rest;

namespace RecoveryComms.Orchestrator.Attempts;

public sealed record AttemptStarted(Guid AttemptId, Guid ItemId, int AttemptNumber, string CsrCallSid, bool Recorded);

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
    public const int MaxAttempts = 2;

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
            var refusal = Check(item!, csr);
            if (refusal is not null)
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

            try
            {
                await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO orchestrator.call_attempts (id, item_id, csr_id, started_at, recorded) VALUES (@Id, @ItemId, @CsrId, @At, @Recorded)",
                    new { Id = attemptId, ItemId = itemId, CsrId = csr.Id, At = time.GetUtcNow(), Recorded = record }, tx, cancellationToken: ct));
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                return Act.No<AttemptStarted>(409, "attempt-in-progress", "A call for this item is already ringing.");
            }

            item.AttemptPlaced(changes.Now);
            number = item.Attempts;
            await changes.SaveAsync(c, tx, item, csr, TimelineKinds.AttemptPlaced,
                $"Attempt {number}: ringing {csr.Name}'s phone, then the customer from the shop line.", ct);
            await tx.CommitAsync(ct);
        }

        var publicBase = twilioOptions.Value.PublicBaseUrl.TrimEnd('/');
        var connect = $"{publicBase}/twilio/voice/connect?customer={Uri.EscapeDataString(customer)}&callerId={Uri.EscapeDataString(shopLine)}{(record ? "&record=true" : "")}";
        try
        {
            var call = await twilio.CreateCallAsync(new CreateCallRequest(csrPhone, shopLine, new Uri(connect),
                new Uri($"{publicBase}/twilio/voice/attempt-status#rc=3&rp=ct,rt,5xx"), TimeoutSeconds: 20), ct);
            await using var c = await dataSource.OpenConnectionAsync(ct);
            await c.ExecuteAsync(new CommandDefinition(
                "UPDATE orchestrator.call_attempts SET csr_call_sid = @Sid, result = CASE WHEN result = 'placing' THEN 'ringing-csr' ELSE result END WHERE id = @Id",
                new { Sid = call.Sid, Id = attemptId }, cancellationToken: ct));
            var masked = Phone.Mask(customer);
            LogPlaced(itemId, number, masked);
            return Act.Ok(new AttemptStarted(attemptId, itemId, number, call.Sid, record));
        }
        catch (Exception e) when (e is TwilioApiException or TwilioOutcomeUnknownException or HttpRequestException or TaskCanceledException)
        {
            LogNotPlaced(e, itemId);
            await NotPlacedAsync(attemptId, csr, e is TwilioApiException t ? $"Twilio refused the call ({t.Code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? t.HttpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture)})" : "Twilio did not answer", ct);
            return Act.No<AttemptStarted>(502, "call-not-placed", "Twilio did not place the call; it does not count as an attempt.", e.GetType().Name);
        }
    }

    private static Refusal? Check(RecoveryItem item, Actor csr)
    {
        if (!item.IsOpen)
        {
            return new Refusal(409, "item-completed", "The item is completed.");
        }

        if (!item.IsOwnedBy(csr.Id!.Value))
        {
            return new Refusal(403, "not-owner", "Only the item's owner places its calls; claim it first.");
        }

        if (item.Attempts >= MaxAttempts)
        {
            return new Refusal(409, "attempts-exhausted", $"This loop already had {MaxAttempts} call attempts.",
                "Record a disposition (no-answer-two-attempts, left-voicemail, …) or a reschedule.");
        }

        return null;
    }

    /// <summary>The call never reached the customer: it does not count, and the item is as it was.</summary>
    private async Task NotPlacedAsync(Guid attemptId, Actor actor, string error, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var itemId = await c.QuerySingleAsync<Guid>(new CommandDefinition(
            "UPDATE orchestrator.call_attempts SET result = 'not-placed', counts = false, ended_at = @At, error = @Error WHERE id = @Id RETURNING item_id",
            new { Id = attemptId, At = time.GetUtcNow(), Error = error }, tx, cancellationToken: ct));
        var item = await RecoveryItemStore.LockAsync(c, tx, itemId, ct);
        await AttemptOutcomes.UncountAsync(c, tx, item!, attemptId, ct);
        await changes.SaveAsync(c, tx, item!, actor, TimelineKinds.AttemptResult, $"Call not placed: {error}. It does not count as an attempt.", ct);
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
}
