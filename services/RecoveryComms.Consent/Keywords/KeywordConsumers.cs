using MassTransit;
using Microsoft.Extensions.Options;
using RecoveryComms.Consent.Ledger;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Telephony.Messaging;
using RecoveryComms.Telephony.Rest;

namespace RecoveryComms.Consent.Keywords;

/// <summary>
/// Records SMS opt-outs. Every path is idempotent per message: a keyword text is one ledger row per channel.
/// A text that asks not to be called ("stop calling me", "don't call", "no more calls") opts out of calls too.
/// </summary>
public sealed partial class OptOutRecorder(ConsentStore store, IOptions<ConsentOptions> options)
{
    /// <summary>Records the SMS opt-out (and the voice one the text asks for); returns the SMS result.</summary>
    public async Task<ChangeResult> OptOutAsync(string messageSid, string from, string body, string? optOutType, bool needsReview, DateTimeOffset at, CancellationToken ct)
    {
        var phone = Phone.NormalizeOrRaw(from, options.Value.DefaultRegion);
        var source = optOutType is null ? "keyword" : "twilio-opt-out";
        var evidence = $"SMS: \"{body}\"{(needsReview ? " (not a keyword: needs review)" : "")}";
        var sms = await store.ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.OptedOut, source,
            messageSid, "customer", evidence, at) { NeedsReview = needsReview }, ct);
        if (AsksNotToBeCalled(body))
        {
            await store.ChangeAsync(new ConsentChange(phone, "voice", ConsentStates.OptedOut, source,
                messageSid, "customer", evidence, at) { NeedsReview = needsReview }, ct);
        }

        return sms;
    }

    /// <summary>Whether an opt-out text is about calls as well as texts.</summary>
    public static bool AsksNotToBeCalled(string? body) => CallRequest().IsMatch(body ?? "");

    [System.Text.RegularExpressions.GeneratedRegex(
        @"\b(stop|quit|cease|end)\s+(calling|phoning|ringing)\b|\b(don'?t|do\s+not|dont|never)\s+(call|phone|ring)\b|\bno\s+more\s+(calls|phone\s+calls)\b|\bdo\s+not\s+call\s+list\b",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex CallRequest();
}

/// <summary>
/// The webhooks service asks this before it answers an opt-out text, so the opt-out is in force by the time
/// Twilio hears back (see docs/consent.md).
/// </summary>
public sealed class RecordOptOutConsumer(OptOutRecorder recorder, IOptions<ConsentOptions> options, TimeProvider time) : IConsumer<RecordOptOut>
{
    public async Task Consume(ConsumeContext<RecordOptOut> context)
    {
        var m = context.Message;
        var result = await recorder.OptOutAsync(m.MessageSid, m.From, m.Body, m.OptOutType, m.NeedsReview, m.OccurredAt, context.CancellationToken);
        // Note: the InboundSmsReceived event of the same text may have recorded it first (the outbox and this request
        // race). The answer depends only on the state this text found, so it is the same whichever path won:
        // exactly one confirmation for the text that opted out, none for a STOP from a number already opted out.
        await context.RespondAsync(new OptOutRecorded(m.CorrelationId, Phone.NormalizeOrRaw(m.From, options.Value.DefaultRegion),
            result.OldState == ConsentStates.OptedOut, time.GetUtcNow()));
    }
}

/// <summary>Every inbound text: keywords change consent (opt-outs too, in case the synchronous path did not run).</summary>
public sealed class InboundSmsConsentConsumer(OptOutRecorder recorder, ConsentStore store, IOptions<ConsentOptions> options) : IConsumer<InboundSmsReceived>
{
    public async Task Consume(ConsumeContext<InboundSmsReceived> context)
    {
        var sms = context.Message;
        if (Phone.IsWithheld(sms.From))
        {
            return;
        }

        var phone = Phone.NormalizeOrRaw(sms.From, options.Value.DefaultRegion);
        var optedOut = (await store.StatesAsync(phone, context.CancellationToken)).Any(s => s.Channel == "sms" && s.State == ConsentStates.OptedOut);
        var intent = SmsKeywords.Classify(sms.Body, sms.OptOutType, optedOut);
        if (intent is SmsIntent.OptOut or SmsIntent.OptOutNeedsReview)
        {
            await recorder.OptOutAsync(sms.MessageSid, sms.From, sms.Body, sms.OptOutType, intent == SmsIntent.OptOutNeedsReview, sms.OccurredAt, context.CancellationToken);
        }
        else if (intent == SmsIntent.OptIn)
        {
            await store.ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.Express, sms.OptOutType is null ? "keyword" : "twilio-opt-out",
                sms.MessageSid, "customer", $"SMS: \"{sms.Body}\"", sms.OccurredAt), context.CancellationToken);
        }
    }
}

/// <summary>Twilio error 21610 (the carrier says the recipient opted out), reported later by a status callback.</summary>
public sealed class CarrierOptOutConsumer(ConsentStore store, IOptions<ConsentOptions> options) : IConsumer<MessageStatusReported>
{
    public async Task Consume(ConsumeContext<MessageStatusReported> context)
    {
        var status = context.Message;
        if (status.ErrorCode == TwilioApiException.UnsubscribedRecipient && status.To is { } to)
        {
            await store.ChangeAsync(new ConsentChange(Phone.NormalizeOrRaw(to, options.Value.DefaultRegion), "sms", ConsentStates.OptedOut, "carrier-error",
                status.MessageSid, "twilio", $"Twilio error 21610 on message {status.MessageSid}", status.OccurredAt), context.CancellationToken);
        }
    }
}

/// <summary>A customer's own call implies consent to be called and texted back; never over an existing state.</summary>
public sealed class InboundCallConsentConsumer(ConsentStore store) :
    IConsumer<MissedCallCaptured>, IConsumer<AbandonedCallCaptured>, IConsumer<VoicemailCaptured>
{
    public Task Consume(ConsumeContext<MissedCallCaptured> context) =>
        ImplyAsync(context.Message.Caller, context.Message.CallerWithheld, context.Message.CallSid, context.Message.OccurredAt, context.CancellationToken);

    public Task Consume(ConsumeContext<AbandonedCallCaptured> context) =>
        ImplyAsync(context.Message.Caller, context.Message.CallerWithheld, context.Message.CallSid, context.Message.OccurredAt, context.CancellationToken);

    public Task Consume(ConsumeContext<VoicemailCaptured> context) =>
        context.Message.IsInternal
            ? Task.CompletedTask
            : ImplyAsync(context.Message.Caller, context.Message.CallerWithheld, context.Message.CallSid, context.Message.OccurredAt, context.CancellationToken);

    private async Task ImplyAsync(string caller, bool withheld, string callSid, DateTimeOffset at, CancellationToken ct)
    {
        if (withheld)
        {
            return;
        }

        foreach (var channel in new[] { "voice", "sms" })
        {
            await store.ChangeAsync(new ConsentChange(caller, channel, ConsentStates.Implied, "inbound-call",
                callSid, "customer", $"The customer called the shop (call {callSid})", at) { OnlyIfUnknown = true }, ct);
        }
    }
}
