using Microsoft.Extensions.Options;
using RecoveryComms.Contracts;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Webhooks.FrontDoor;

namespace RecoveryComms.Webhooks.Capture.Calls;

/// <summary>
/// What capture does with each voice callback, inside the store's transaction: the call's state (who called,
/// its status, its one outcome), its voicemail, and the events that follow. The routes name these steps.
/// </summary>
public sealed partial class CallCapture(
    Outbox outbox, FrontDoorTwiml frontDoor, IOptions<WebhookOptions> options, IOptions<PhoneOptions> phones, ILogger<CallCapture> logger)
{
    private WebhookOptions Options => options.Value;

    public async Task IncomingAsync(CaptureContext s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var afterHours = frontDoor.IsAfterHours(s.Request.ReceivedAt);
        await EnsureCallAsync(s, afterHours);
        if (afterHours || frontDoor.RingGroup.Count == 0)
        {
            // Nobody will ring: the call is missed the moment it arrives; a voicemail may follow.
            await PublishMissedAsync(s, await CallStore.DecideOutcomeAsync(s.Connection, s.Tx, s.CallSid, "missed", s.Ct), afterHours ? "after-hours" : "no-ring-group");
        }
    }

    public async Task DialCompleteAsync(CaptureContext s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var dialStatus = s.Request.Required("DialCallStatus");
        var answered = FrontDoorTwiml.WasAnswered(dialStatus);
        await EnsureCallAsync(s, afterHours: false);
        var call = await CallStore.DecideOutcomeAsync(s.Connection, s.Tx, s.CallSid, answered ? "answered" : "missed", s.Ct, dialStatus, answered);
        if (!answered)
        {
            await PublishMissedAsync(s, call, dialStatus);
        }
    }

    /// <summary>The voicemail's <c>&lt;Record action&gt;</c>: it names the caller, so it may create the call row.</summary>
    public Task VoicemailCompleteAsync(CaptureContext s) => EnsureCallAsync(s, afterHours: null);

    public async Task StatusAsync(CaptureContext s)
    {
        ArgumentNullException.ThrowIfNull(s);
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

    public async Task RecordingAsync(CaptureContext s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var recordingSid = s.Request.Required("RecordingSid");
        await CallStore.UpsertRecordingAsync(s.Connection, s.Tx, recordingSid, s.CallSid, s.Request.Required("RecordingStatus"),
            s.Request["RecordingUrl"], s.Request.OptionalInt("RecordingDuration"), s.Request.OccurredAt, s.Ct);
        await ReconcileVoicemailAsync(s, recordingSid);
    }

    public async Task TranscriptionAsync(CaptureContext s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var recordingSid = s.Request.Required("RecordingSid");
        await CallStore.UpsertTranscriptionAsync(s.Connection, s.Tx, recordingSid, s.CallSid, s.Request["TranscriptionSid"],
            s.Request.Required("TranscriptionStatus"), s.Request["TranscriptionText"] ?? "", s.Ct);
        await ReconcileVoicemailAsync(s, recordingSid);
    }

    /// <summary>A click-to-call leg moved on: passed to the orchestrator as it came.</summary>
    public Task AttemptStatusAsync(CaptureContext s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return outbox.EnqueueAsync(s.Connection, s.Tx, new CallbackAttemptStatusReported(
            CorrelationIds.For(s.CallSid), s.CallSid, s.Request["ParentCallSid"], s.Request.Required("CallStatus"),
            s.Request.OptionalInt("SequenceNumber"), s.Request.OptionalInt("CallDuration"), s.Request["AnsweredBy"],
            OptionalE164(s.Request["From"]), frontDoor.IsAfterHours(s.Request.ReceivedAt), s.Request.OccurredAt,
            Guid.TryParse(s.Request.QueryValue("attempt"), out var attemptId) ? attemptId : null), s.Ct);
    }

    /// <summary>A recorded click-to-call's recording is ready (other statuses are kept raw only).</summary>
    public async Task CallbackRecordingAsync(CaptureContext s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.Request.Required("RecordingStatus") != "completed" || s.Request["RecordingUrl"] is not { } url)
        {
            return;
        }

        await outbox.EnqueueAsync(s.Connection, s.Tx, new CallbackRecordingCaptured(
            CorrelationIds.For(s.CallSid), s.CallSid, s.Request.Required("RecordingSid"), url,
            s.Request.OptionalInt("RecordingDuration") ?? 0, s.Request.OccurredAt), s.Ct);
    }

    /// <summary>Publishes the miss when this callback decided it and the caller is not staff.</summary>
    private async Task PublishMissedAsync(CaptureContext s, CallContext? call, string reason)
    {
        if (call is { Internal: false })
        {
            await outbox.EnqueueAsync(s.Connection, s.Tx, new MissedCallCaptured(
                CorrelationIds.For(s.CallSid), s.CallSid, call.Caller, call.CallerWithheld, call.ShopLine, call.AfterHours, reason, s.Request.OccurredAt), s.Ct);
            LogCaptured("missed call", s.CallSid, call.Caller, reason);
        }
    }

    // Note: the recording and its transcription arrive in either order, and the recording callback carries no
    // caller. The voicemail row is locked, and the event goes out once both the finished recording and the
    // call are known; a transcription that came first rides along, one that comes later follows on its own.
    private async Task ReconcileVoicemailAsync(CaptureContext s, string recordingSid)
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
    private async Task EnsureCallAsync(CaptureContext s, bool? afterHours)
    {
        ArgumentNullException.ThrowIfNull(s);
        var from = s.Request["From"];
        var to = s.Request["To"];
        if (from is null || to is null)
        {
            return;
        }

        var withheld = Phone.IsWithheld(from);
        var caller = Phone.NormalizeOrRaw(from, phones.Value.DefaultRegion);
        var waiting = await CallStore.InsertAsync(s.Connection, s.Tx, new NewCall(
            s.CallSid,
            caller,
            withheld,
            Phone.NormalizeOrRaw(to, phones.Value.DefaultRegion),
            afterHours ?? frontDoor.IsAfterHours(s.Request.ReceivedAt),
            !withheld && frontDoor.IsStaff(caller),
            s.Request.ReceivedAt), s.Ct);
        foreach (var recordingSid in waiting)
        {
            await ReconcileVoicemailAsync(s, recordingSid);
        }
    }

    private string? OptionalE164(string? number) => number is null ? null : Phone.NormalizeOrRaw(number, phones.Value.DefaultRegion);

    // Phone numbers reach the log masked: last four digits only.
    private void LogCaptured(string kind, string callSid, string? caller, string detail)
    {
        var masked = Phone.Mask(caller);
        LogCapturedMasked(kind, callSid, masked, detail);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Captured a {Kind}: call {CallSid} from {Caller} ({Detail})")]
    private partial void LogCapturedMasked(string kind, string callSid, string caller, string detail);
}
