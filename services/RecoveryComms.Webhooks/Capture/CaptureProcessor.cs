using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Contracts;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Webhooks.FrontDoor;

namespace RecoveryComms.Webhooks.Capture;

/// <summary>
/// Stores a callback and what follows from it in one transaction: the raw webhook (once), the call,
/// voicemail or message state, and the events for the outbox. Nothing is acknowledged to Twilio before
/// this commits.
/// </summary>
public sealed partial class CaptureProcessor(
    NpgsqlDataSource dataSource, Outbox outbox, FrontDoorTwiml frontDoor, IOptions<WebhookOptions> options, ILogger<CaptureProcessor> logger)
{
    private WebhookOptions Options => options.Value;

    /// <summary>Stores the callback; a duplicate gets the answer stored with the first copy.</summary>
    public async Task<WebhookAnswer> StoreAsync(WebhookRequest request, CallbackKey key, WebhookAnswer answer, bool spooled, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (request["CallSid"] is { } callSid)
        {
            // Note: one call's callbacks are stored one after another. A recording stored beside its call's first
            // callback otherwise sees no call (not committed yet) while the call sees no recording (likewise), and
            // the voicemail waits forever; concurrent replay of the spool did exactly that.
            await CallStore.LockCallAsync(connection, tx, callSid, ct);
        }

        if (!await WebhookLog.TryInsertAsync(connection, tx, request, key, answer, spooled, ct))
        {
            var stored = await WebhookLog.StoredAnswerAsync(connection, tx, key, ct);
            await tx.CommitAsync(ct);
            return stored;
        }

        var step = new Step(connection, tx, request, ct);
        await (request.Route switch
        {
            WebhookRoutes.VoiceIncoming => IncomingAsync(step),
            WebhookRoutes.VoiceDialComplete => DialCompleteAsync(step),
            WebhookRoutes.VoiceVoicemailComplete => EnsureCallAsync(step, afterHours: null),
            WebhookRoutes.VoiceStatus => StatusAsync(step),
            WebhookRoutes.VoiceRecording => RecordingAsync(step),
            WebhookRoutes.VoiceTranscription => TranscriptionAsync(step),
            WebhookRoutes.VoiceAttemptStatus => AttemptStatusAsync(step),
            WebhookRoutes.SmsIncoming => InboundSmsAsync(step),
            WebhookRoutes.SmsStatus => MessageStatusAsync(step),
            _ => Task.CompletedTask,
        });
        await tx.CommitAsync(ct);
        return answer;
    }

    private sealed record Step(NpgsqlConnection Connection, NpgsqlTransaction Tx, WebhookRequest Request, CancellationToken Ct)
    {
        public string CallSid => Request.Required("CallSid");
    }

    private async Task IncomingAsync(Step s)
    {
        var afterHours = frontDoor.IsAfterHours(s.Request.ReceivedAt);
        await EnsureCallAsync(s, afterHours);
        if (afterHours || Options.RingGroup.Count == 0)
        {
            // Nobody will ring: the call is missed the moment it arrives; a voicemail may follow.
            await MissedAsync(s, afterHours ? "after-hours" : "no-ring-group");
        }
    }

    private async Task DialCompleteAsync(Step s)
    {
        var dialStatus = s.Request.Required("DialCallStatus");
        var answered = FrontDoorTwiml.WasAnswered(dialStatus);
        await EnsureCallAsync(s, afterHours: false);
        var call = await CallStore.DecideOutcomeAsync(s.Connection, s.Tx, s.CallSid, answered ? "answered" : "missed", s.Ct, dialStatus, answered);
        if (!answered)
        {
            await PublishMissedAsync(s, call, dialStatus);
        }
    }

    private async Task MissedAsync(Step s, string reason) =>
        await PublishMissedAsync(s, await CallStore.DecideOutcomeAsync(s.Connection, s.Tx, s.CallSid, "missed", s.Ct), reason);

    /// <summary>Publishes the miss when this callback decided it and the caller is not staff.</summary>
    private async Task PublishMissedAsync(Step s, CallContext? call, string reason)
    {
        if (call is { Internal: false })
        {
            await outbox.EnqueueAsync(s.Connection, s.Tx, new MissedCallCaptured(
                CorrelationIds.For(s.CallSid), s.CallSid, call.Caller, call.CallerWithheld, call.ShopLine, call.AfterHours, reason, s.Request.OccurredAt), s.Ct);
            LogCaptured("missed call", s.CallSid, call.Caller, reason);
        }
    }

    private async Task StatusAsync(Step s)
    {
        var status = s.Request.Required("CallStatus");
        var sequence = s.Request.OptionalInt("SequenceNumber");
        var duration = s.Request.OptionalInt("CallDuration") ?? 0;
        await EnsureCallAsync(s, afterHours: null);
        await CallStore.ApplyStatusAsync(s.Connection, s.Tx, s.CallSid, status, sequence, s.Request.OccurredAt, s.Ct);
        if (!CallStore.TerminalStatuses.Contains(status))
        {
            return;
        }

        // The call ended with nobody having answered and no miss recorded: the caller gave up while it rang.
        var call = await CallStore.DecideOutcomeAsync(s.Connection, s.Tx, s.CallSid, "abandoned", s.Ct);
        if (call is { Internal: false })
        {
            await outbox.EnqueueAsync(s.Connection, s.Tx, new AbandonedCallCaptured(
                CorrelationIds.For(s.CallSid), s.CallSid, call.Caller, call.CallerWithheld, call.ShopLine, call.AfterHours,
                duration, duration < Options.ShortAbandonSeconds, s.Request.OccurredAt), s.Ct);
            LogCaptured("abandoned call", s.CallSid, call.Caller, $"{duration} s");
        }
    }

    private async Task RecordingAsync(Step s)
    {
        var recordingSid = s.Request.Required("RecordingSid");
        await CallStore.UpsertRecordingAsync(s.Connection, s.Tx, recordingSid, s.CallSid, s.Request.Required("RecordingStatus"),
            s.Request["RecordingUrl"], s.Request.OptionalInt("RecordingDuration"), s.Request.OccurredAt, s.Ct);
        await ReconcileVoicemailAsync(s, recordingSid);
    }

    private async Task TranscriptionAsync(Step s)
    {
        var recordingSid = s.Request.Required("RecordingSid");
        await CallStore.UpsertTranscriptionAsync(s.Connection, s.Tx, recordingSid, s.CallSid, s.Request["TranscriptionSid"],
            s.Request.Required("TranscriptionStatus"), s.Request["TranscriptionText"] ?? "", s.Ct);
        await ReconcileVoicemailAsync(s, recordingSid);
    }

    // Note: the recording and its transcription arrive in either order, and the recording callback carries no
    // caller. The voicemail row is locked, and the event goes out once both the finished recording and the
    // call are known; a transcription that came first rides along, one that comes later follows on its own.
    private async Task ReconcileVoicemailAsync(Step s, string recordingSid)
    {
        var v = await CallStore.LockVoicemailAsync(s.Connection, s.Tx, recordingSid, s.Ct);
        var transcribed = v.TranscriptionStatus is not null;
        if (!v.CapturedPublished)
        {
            if (v.RecordingStatus != "completed" || v.Caller is null || v.RecordingUrl is null || v.DurationSeconds is null or 0)
            {
                return;
            }

            await outbox.EnqueueAsync(s.Connection, s.Tx, new VoicemailCaptured(
                CorrelationIds.For(v.CallSid), v.CallSid, v.RecordingSid, v.RecordingUrl, v.DurationSeconds.Value, v.Caller,
                v.CallerWithheld ?? false, v.ShopLine ?? "", v.AfterHours ?? false, v.Internal ?? false,
                v.TranscriptionStatus == "completed" ? v.TranscriptionText : null, v.RecordedAt is { } recordedAt ? new DateTimeOffset(recordedAt, TimeSpan.Zero) : s.Request.OccurredAt), s.Ct);
            await CallStore.MarkVoicemailAsync(s.Connection, s.Tx, recordingSid, captured: true, transcribed, s.Ct);
            LogCaptured("voicemail", v.CallSid, v.Caller, $"{v.DurationSeconds} s");
        }
        else if (transcribed && !v.TranscriptionPublished)
        {
            await outbox.EnqueueAsync(s.Connection, s.Tx, new VoicemailTranscribed(
                CorrelationIds.For(v.CallSid), v.CallSid, v.RecordingSid, v.TranscriptionSid ?? "", v.TranscriptionStatus!,
                v.TranscriptionText ?? "", v.ShopLine ?? "", v.AfterHours ?? false, s.Request.OccurredAt), s.Ct);
            await CallStore.MarkVoicemailAsync(s.Connection, s.Tx, recordingSid, captured: true, transcribed: true, s.Ct);
        }
    }

    /// <summary>Creates the call row from any callback that names the caller; then publishes voicemails that waited for it.</summary>
    private async Task EnsureCallAsync(Step s, bool? afterHours)
    {
        var from = s.Request["From"];
        var to = s.Request["To"];
        if (from is null || to is null)
        {
            return;
        }

        var withheld = Phone.IsWithheld(from);
        var caller = Phone.NormalizeOrRaw(from, Options.DefaultRegion);
        var waiting = await CallStore.InsertAsync(s.Connection, s.Tx, new NewCall(
            s.CallSid,
            caller,
            withheld,
            Phone.NormalizeOrRaw(to, Options.DefaultRegion),
            afterHours ?? frontDoor.IsAfterHours(s.Request.ReceivedAt),
            !withheld && frontDoor.IsStaff(caller),
            s.Request.ReceivedAt), s.Ct);
        foreach (var recordingSid in waiting)
        {
            await ReconcileVoicemailAsync(s, recordingSid);
        }
    }

    private Task AttemptStatusAsync(Step s) =>
        outbox.EnqueueAsync(s.Connection, s.Tx, new CallbackAttemptStatusReported(
            CorrelationIds.For(s.CallSid), s.CallSid, s.Request["ParentCallSid"], s.Request.Required("CallStatus"),
            s.Request.OptionalInt("SequenceNumber"), s.Request.OptionalInt("CallDuration"), s.Request["AnsweredBy"],
            OptionalE164(s.Request["From"]), frontDoor.IsAfterHours(s.Request.ReceivedAt), s.Request.OccurredAt), s.Ct);

    private Task InboundSmsAsync(Step s)
    {
        var messageSid = s.Request.Required("MessageSid");
        var from = Phone.NormalizeOrRaw(s.Request.Required("From"), Options.DefaultRegion);
        return outbox.EnqueueAsync(s.Connection, s.Tx, new InboundSmsReceived(
            CorrelationIds.For(messageSid), messageSid,
            from,
            Phone.NormalizeOrRaw(s.Request.Required("To"), Options.DefaultRegion),
            s.Request["Body"] ?? "",
            s.Request["OptOutType"],
            s.Request.OptionalInt("NumMedia") ?? 0,
            frontDoor.IsAfterHours(s.Request.ReceivedAt),
            frontDoor.IsStaff(from),
            s.Request.OccurredAt), s.Ct);
    }

    private async Task MessageStatusAsync(Step s)
    {
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

    private string? OptionalE164(string? number) => number is null ? null : Phone.NormalizeOrRaw(number, Options.DefaultRegion);

    // Phone numbers reach the log masked: last four digits only.
    private void LogCaptured(string kind, string callSid, string? caller, string detail)
    {
        var masked = Phone.Mask(caller);
        LogCapturedMasked(kind, callSid, masked, detail);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Captured a {Kind}: call {CallSid} from {Caller} ({Detail})")]
    private partial void LogCapturedMasked(string kind, string callSid, string caller, string detail);
}
