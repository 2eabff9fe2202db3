using Dapper;
using MassTransit;
using Npgsql;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Orchestrator.Actions;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Sms;
using RecoveryComms.Orchestrator.Timers;
using RecoveryComms.Orchestrator.Views;

namespace RecoveryComms.Orchestrator.Attempts;

/// <summary>
/// Applies Twilio's status reports of click-to-call legs. The CSR's leg is the call the orchestrator created;
/// the customer's leg is its child (its <c>ParentCallSid</c> is the CSR's leg). Reports arrive in any order and
/// more than once: a leg's status never moves backwards, and a finished attempt stays finished.
/// </summary>
public sealed partial class AttemptOutcomes(NpgsqlDataSource dataSource, ItemChanges changes, RecoverySms sms, ILogger<AttemptOutcomes> logger)
{
    /// <summary>How long after the CSR's leg ended the customer's leg may still report before the attempt is settled without it.</summary>
    public static readonly TimeSpan SettleAfter = TimeSpan.FromMinutes(2);

    private static int Rank(string? status) => status switch
    {
        null => -1,
        "queued" or "initiated" => 0,
        "ringing" => 1,
        "in-progress" or "answered" => 2,
        _ => 3,
    };

    public async Task ApplyAsync(CallbackAttemptStatusReported report, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(report);
        bool sendAutoSms = false;
        Guid itemId;
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            await using var tx = await c.BeginTransactionAsync(ct);
            // Note: by the attempt id of the status callback URL first (the CSR's leg), so a report matches even when
            // the SID was never stored; else by SID, the customer's leg by its parent.
            var attempt = report.AttemptId is { } attemptId ? await AttemptStore.LockAsync(c, tx, attemptId, ct) : null;
            attempt ??= await AttemptStore.LockByCallAsync(c, tx, report.CallSid, report.ParentCallSid, ct);
            if (attempt is null)
            {
                // No attempt has this id or SID: nothing can ever match it, so it is not retried. A customer leg whose
                // parent's SID was lost is found by the attempt's check timer in Twilio's list instead.
                LogUnknownReport(report.CallSid, report.Status);
                await tx.CommitAsync(ct);
                return;
            }

            if (attempt.Result == "not-placed")
            {
                // Settled as never placed (Twilio refused it, or its check found no call): a late report changes nothing.
                LogSettledReport(attempt.Id, report.CallSid, report.Status);
                await tx.CommitAsync(ct);
                return;
            }

            if (attempt.CsrCallSid is null && report.ParentCallSid is null)
            {
                // The CSR's leg, matched by attempt id: the SID the create's lost answer would have stored.
                await AttemptStore.AdoptCsrCallSidAsync(c, tx, attempt.Id, report.CallSid, ringing: false, ct);
                attempt.CsrCallSid = report.CallSid;
            }

            itemId = attempt.ItemId;
            var item = (await RecoveryItemStore.LockAsync(c, tx, attempt.ItemId, ct))!;
            var customerLeg = report.CallSid != attempt.CsrCallSid;
            var before = attempt.Result;
            if (customerLeg)
            {
                if (Rank(report.Status) <= Rank(attempt.CustomerLegStatus))
                {
                    await tx.CommitAsync(ct);
                    return;
                }

                attempt.CustomerCallSid = report.CallSid;
                attempt.CustomerLegStatus = report.Status;
                attempt.AnsweredBy = report.AnsweredBy ?? attempt.AnsweredBy;
                attempt.Result = report.Status switch
                {
                    "completed" or "in-progress" or "answered" => "answered",
                    "no-answer" or "busy" or "failed" or "canceled" => report.Status,
                    _ => "connecting",
                };
            }
            else
            {
                if (Rank(report.Status) <= Rank(attempt.CsrLegStatus))
                {
                    await tx.CommitAsync(ct);
                    return;
                }

                attempt.CsrLegStatus = report.Status;
                if (attempt.CustomerLegStatus is null)
                {
                    attempt.Result = report.Status switch
                    {
                        "in-progress" or "answered" or "completed" => "connecting",
                        "no-answer" or "busy" or "failed" or "canceled" => "csr-unreachable",
                        _ => attempt.Result is "placing" ? "ringing-csr" : attempt.Result,
                    };
                }
            }

            if (!customerLeg && report.Status == "completed" && attempt.CustomerLegStatus is null)
            {
                // The CSR's leg ended and the customer's has not reported: it may still, else the attempt is settled then.
                await TimerStore.ArmAsync(c, tx, TimerKinds.AttemptSettle, item.Id, report.OccurredAt + SettleAfter, ct);
            }

            var finished = IsFinal(attempt.Result) && !IsFinal(before);
            await AttemptStore.SaveLegsAsync(c, tx, attempt, finished, report.OccurredAt, ct);

            if (finished)
            {
                if (attempt.Result == "csr-unreachable")
                {
                    await NotCountedAsync(c, tx, changes, item, attempt.Id, Actor.System,
                        "Your phone did not answer, so the customer was not dialled. It does not count as an attempt.", ct);
                }
                else
                {
                    await changes.ApplyAsync(c, tx, item, Actor.System, item.AttemptSettled(Describe(attempt)), ct);
                    sendAutoSms = sms.AutoSendEnabled && item.WantsAutomaticSms(attempt.Result);
                }
            }
            else
            {
                // A leg rang, connected or ended without settling the attempt: the console shows it live.
                await changes.TouchAsync(c, tx, item, ct);
            }

            await tx.CommitAsync(ct);
        }

        if (sendAutoSms)
        {
            var result = await sms.SendAutomaticAsync(itemId, ct);
            LogAutoSms(itemId, result.Refusal?.Type ?? "requested");
        }
    }

    /// <summary>
    /// The call was never placed (Twilio refused it, or its check found no such call): it does not count, and the
    /// item is as it was. An attempt settled meanwhile is left alone.
    /// </summary>
    public static async Task<bool> NotPlacedAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, ItemChanges changes, Guid attemptId, Actor actor, string error, DateTimeOffset at, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var itemId = await AttemptStore.NotPlacedAsync(c, tx, attemptId, error, at, ct);
        if (itemId is null || await RecoveryItemStore.LockAsync(c, tx, itemId.Value, ct) is not { } item)
        {
            return false;
        }

        await NotCountedAsync(c, tx, changes, item, attemptId, actor, $"Call not placed: {error}. It does not count as an attempt.", ct);
        return true;
    }

    /// <summary>An attempt that never dialled the customer gives its place in the loop back (<see cref="RecoveryItem.AttemptNotCounted"/>).</summary>
    public static async Task NotCountedAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, ItemChanges changes, RecoveryItem item, Guid attemptId, Actor actor, string description, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(item);
        var (counted, first) = await AttemptStore.UncountAsync(c, tx, attemptId, item.Id, ct);
        await changes.ApplyAsync(c, tx, item, actor, item.AttemptNotCounted(counted, first, description), ct);
    }

    private static bool IsFinal(string result) => result is "answered" or "no-answer" or "busy" or "failed" or "canceled" or "csr-unreachable" or "not-placed";

    private static string Describe(CallAttempt attempt) => attempt.Result switch
    {
        "answered" when attempt.AnsweredBy?.StartsWith("machine", StringComparison.Ordinal) == true => "The customer's voicemail answered.",
        "answered" => "The customer answered.",
        "no-answer" => "The customer did not answer.",
        "busy" => "The customer's line was busy.",
        "failed" => "The call to the customer failed.",
        _ => "The call was cancelled before the customer answered.",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "A status report of call {CallSid} ({Status}) matches no attempt; ignored")]
    private partial void LogUnknownReport(string callSid, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "A status report of call {CallSid} ({Status}) came for attempt {AttemptId}, settled as not placed; dropped")]
    private partial void LogSettledReport(Guid attemptId, string callSid, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Automatic SMS for item {ItemId} after an unanswered first attempt: {Outcome}")]
    private partial void LogAutoSms(Guid itemId, string outcome);
}
