using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Contracts;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Timers;
using RecoveryComms.Telephony.Rest;

namespace RecoveryComms.Orchestrator.Attempts;

/// <summary>
/// Settles a click-to-call that is still live (<c>placing</c>, <c>ringing-csr</c>, <c>connecting</c>) when its
/// check timer fires, armed with the attempt in its own transaction and re-armed every
/// <see cref="RecoveryOptions.AttemptSettleAfter"/> while it stays live. So neither a crash after the commit, nor a
/// lost create answer, nor lost status reports leave it "Calling…" forever, holding the item's one live attempt.
/// <list type="bullet">
/// <item>SID known: Twilio's call (<c>GET Calls/{Sid}.json</c>) and its child legs (<c>GET Calls.json?ParentCallSid=</c>)
/// are turned into the status reports that never came, published through the outbox to the usual consumer.</item>
/// <item>No SID: the call is looked up in Twilio's list (<c>To</c> the CSR's phone, <c>From</c> the shop line,
/// <c>StartTime&gt;=</c> the day), created around the attempt's start and not another attempt's. Exactly one: its
/// SID is adopted and it is settled as above. None: it was never placed (it does not count; the SLA still runs).
/// Several: which one is ours cannot be told; it is settled as not placed too, so the customer is called again
/// rather than left waiting.</item>
/// </list>
/// A Twilio request that fails throws: the timer is tried again with back-off, nothing is settled on a guess.
/// </summary>
public sealed partial class AttemptCheckTimer(
    ITwilioRestClient twilio, ItemChanges changes, Outbox outbox, IOptions<RecoveryOptions> options, TimeProvider time,
    ILogger<AttemptCheckTimer> logger) : ITimerHandler
{
    /// <summary>How far Twilio's clock and ours may disagree.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(2);

    public IReadOnlyCollection<string> Kinds { get; } = [TimerKinds.AttemptCheck];

    public async Task FireAsync(NpgsqlConnection c, NpgsqlTransaction tx, DueTimer timer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var attempt = await AttemptStore.LockLiveAsync(c, tx, timer.ItemId!.Value, ct);
        if (attempt is null)
        {
            return;
        }

        var now = time.GetUtcNow();
        CallRecord? call;
        if (attempt.CsrCallSid is null)
        {
            call = await FindAsync(c, tx, attempt, now, ct);
            if (call is null)
            {
                return;
            }

            await AttemptStore.AdoptCsrCallSidAsync(c, tx, attempt.Id, call.Sid, ringing: true, ct);
            attempt.CsrCallSid = call.Sid;
            LogAdopted(attempt.Id, call.Sid);
        }
        else
        {
            call = await twilio.GetCallAsync(attempt.CsrCallSid, ct);
            if (call is null)
            {
                await NotPlacedAsync(c, tx, attempt, "Twilio has no record of the call", now, ct);
                return;
            }
        }

        if (call.Status != attempt.CsrLegStatus)
        {
            await ReportAsync(c, tx, attempt, call, parent: null, now, ct);
        }

        if (call.Status is not ("queued" or "initiated" or "ringing"))
        {
            // The CSR answered (or the leg ended): the customer's leg, if it was dialled, is this call's child.
            var children = await twilio.ListCallsAsync(new ListCallsRequest(ParentCallSid: call.Sid, MaxResults: 10), ct);
            foreach (var child in children.Where(child => child.Status != attempt.CustomerLegStatus))
            {
                await ReportAsync(c, tx, attempt, child, call.Sid, now, ct);
            }
        }

        // Checked again while it stays live; once the reports above settle it, the next check finds nothing to do.
        await TimerStore.ArmAsync(c, tx, TimerKinds.AttemptCheck, attempt.ItemId, now + options.Value.AttemptSettleAfter, ct);
    }

    /// <summary>The call Twilio lists for an attempt whose SID was never stored, or null when it settled the attempt as not placed.</summary>
    private async Task<CallRecord?> FindAsync(NpgsqlConnection c, NpgsqlTransaction tx, CallAttempt attempt, DateTimeOffset now, CancellationToken ct)
    {
        if (attempt.CsrPhone is null || attempt.ShopLine is null)
        {
            // An attempt from before the numbers were kept: there is nothing to look it up by.
            await NotPlacedAsync(c, tx, attempt, "no call SID was stored", now, ct);
            return null;
        }

        var started = new DateTimeOffset(attempt.StartedAt, TimeSpan.Zero);
        var listed = await twilio.ListCallsAsync(
            new ListCallsRequest(attempt.CsrPhone, attempt.ShopLine, DateOnly.FromDateTime((started - ClockSkew).UtcDateTime)), ct);
        var latest = started + options.Value.AttemptSettleAfter + ClockSkew;
        var candidates = listed
            .Where(call => call.ParentCallSid is null && call.Direction == "outbound-api"
                && (call.DateCreated ?? call.StartTime) is { } created && created >= started - ClockSkew && created <= latest)
            .ToList();
        var taken = await AttemptStore.TakenSidsAsync(c, tx, candidates.Select(call => call.Sid).ToList(), ct);
        var ours = candidates.Where(call => !taken.Contains(call.Sid)).ToList();
        if (ours.Count == 1)
        {
            return ours[0];
        }

        LogNotFound(attempt.Id, Phone.Mask(attempt.CsrPhone), ours.Count);
        await NotPlacedAsync(c, tx, attempt,
            ours.Count == 0 ? "Twilio has no record of the call" : $"Twilio lists {ours.Count} calls that could be this one", now, ct);
        return null;
    }

    private async Task NotPlacedAsync(NpgsqlConnection c, NpgsqlTransaction tx, CallAttempt attempt, string error, DateTimeOffset now, CancellationToken ct)
    {
        await AttemptOutcomes.NotPlacedAsync(c, tx, changes, attempt.Id, Actor.System, error, now, ct);
        LogNotPlaced(attempt.Id, attempt.ItemId, error);
    }

    /// <summary>A leg's state as Twilio has it now, as the status report that never came; applied by <see cref="AttemptStatusConsumer"/>.</summary>
    private Task ReportAsync(NpgsqlConnection c, NpgsqlTransaction tx, CallAttempt attempt, CallRecord leg, string? parent, DateTimeOffset now, CancellationToken ct) =>
        outbox.EnqueueAsync(c, tx, new CallbackAttemptStatusReported(
            CorrelationIds.For(leg.Sid), leg.Sid, parent, leg.Status, null, leg.DurationSeconds, leg.AnsweredBy, attempt.ShopLine, false,
            leg.EndTime ?? now, attempt.Id), ct);

    [LoggerMessage(Level = LogLevel.Information, Message = "Attempt {AttemptId}: Twilio lists its call {CallSid}; its SID is adopted")]
    private partial void LogAdopted(Guid attemptId, string callSid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Attempt {AttemptId}: Twilio lists {Count} matching calls to {Phone} (one is needed)")]
    private partial void LogNotFound(Guid attemptId, string phone, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Attempt {AttemptId} of item {ItemId} settled as not placed: {Reason}")]
    private partial void LogNotPlaced(Guid attemptId, Guid itemId, string reason);
}
