using MassTransit;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Orchestrator.Items;

namespace RecoveryComms.Orchestrator.Intake;

/// <summary>A missed call becomes (or joins) a recovery item. Internal calls never reach here: capture does not publish them.</summary>
public sealed class MissedCallConsumer(RecoveryIntake intake) : IConsumer<MissedCallCaptured>
{
    public Task Consume(ConsumeContext<MissedCallCaptured> context)
    {
        var m = context.Message;
        return intake.ApplyAsync(new CapturedCall(m.CallSid, "missed", m.Caller, m.CallerWithheld, m.ShopLine, m.AfterHours, m.OccurredAt), context.CancellationToken);
    }
}

public sealed class AbandonedCallConsumer(RecoveryIntake intake) : IConsumer<AbandonedCallCaptured>
{
    public Task Consume(ConsumeContext<AbandonedCallCaptured> context)
    {
        var m = context.Message;
        return intake.ApplyAsync(new CapturedCall(m.CallSid, "abandoned", m.Caller, m.CallerWithheld, m.ShopLine, m.AfterHours, m.OccurredAt,
            ShortAbandon: m.IsShortAbandon), context.CancellationToken);
    }
}

/// <summary>A voicemail: a staff member's (internal) is not a customer to call back.</summary>
public sealed class VoicemailConsumer(RecoveryIntake intake) : IConsumer<VoicemailCaptured>
{
    public Task Consume(ConsumeContext<VoicemailCaptured> context)
    {
        var m = context.Message;
        return m.IsInternal
            ? Task.CompletedTask
            : intake.ApplyAsync(new CapturedCall(m.CallSid, "voicemail", m.Caller, m.CallerWithheld, m.ShopLine, m.AfterHours, m.OccurredAt,
                Transcript: m.TranscriptionText, RecordingSid: m.RecordingSid, RecordingUrl: m.RecordingUrl), context.CancellationToken);
    }
}

public sealed class VoicemailTranscribedConsumer(RecoveryIntake intake) : IConsumer<VoicemailTranscribed>
{
    public Task Consume(ConsumeContext<VoicemailTranscribed> context)
    {
        var m = context.Message;
        return m.Status != "completed"
            ? Task.CompletedTask
            : intake.ApplyAsync(new CapturedCall(m.CallSid, "transcription", "", false, m.ShopLine, m.AfterHours, m.OccurredAt, Transcript: m.Text),
                context.CancellationToken);
    }
}
