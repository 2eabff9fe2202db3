using Dapper;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Consent.Ledger;
using RecoveryComms.Consent.Suppression;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Telephony;
using RecoveryComms.Telephony.Rest;

namespace RecoveryComms.Consent.Sending;

/// <summary>
/// The only way an SMS leaves. The gate locks the number (FOR SHARE on <c>consent.numbers</c>), decides, and
/// calls Twilio while still holding the lock; an opt-out takes the same row FOR UPDATE. So a STOP either waits
/// until a send already under way has reached Twilio, or the send waits and then sees the opt-out: once the
/// STOP is acknowledged, no text leaves for that number. The price is a lock held for one Twilio request
/// (seconds at worst), on one number.
/// </summary>
public sealed partial class SmsGate(
    NpgsqlDataSource dataSource, SuppressionPolicy policy, ConsentStore consent, ITwilioRestClient twilio,
    IOptions<MessagingOptions> messaging, IOptions<TwilioOptions> twilioOptions, IOptions<ConsentOptions> options, TimeProvider time, ILogger<SmsGate> logger)
{
    private const string PreviousSql = "SELECT status, reasons, message_sid AS MessageSid FROM consent.sms_sends WHERE id = @Id";

    private const string RecordSql = """
        INSERT INTO consent.sms_sends (id, phone, body, status, reasons, message_sid, error_code, decided_at)
        VALUES (@Id, @Phone, @Body, @Status, @Reasons, @MessageSid, @ErrorCode, @At)
        """;

    private sealed class Previous
    {
        public string Status { get; init; } = "";

        public string[] Reasons { get; init; } = [];

        public string? MessageSid { get; init; }
    }

    public async Task<SmsSendResult> SendAsync(SendSms request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        if (Phone.IsWithheld(request.Phone) || !Phone.TryNormalize(request.Phone, options.Value.DefaultRegion, out var e164))
        {
            return new SmsSendResult(request.CorrelationId, request.SendId, "refused", [Phone.IsWithheld(request.Phone) ? "anonymous" : "invalid-number"], null, now);
        }

        if (string.IsNullOrWhiteSpace(request.Body) || request.Body.Length > 1600)
        {
            return new SmsSendResult(request.CorrelationId, request.SendId, "refused", ["invalid-body"], null, now);
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await ConsentStore.LockAsync(c, tx, e164, exclusive: false, ct);
        var previous = await c.QuerySingleOrDefaultAsync<Previous>(new CommandDefinition(PreviousSql, new { Id = request.SendId }, tx, cancellationToken: ct));
        if (previous is not null)
        {
            // The same request again: never a second text.
            return new SmsSendResult(request.CorrelationId, request.SendId, previous.Status, previous.Reasons, previous.MessageSid, now);
        }

        var decision = await policy.DecideAsync(c, tx, e164, "sms", ct);
        if (!decision.Allowed)
        {
            await RecordAsync(c, tx, request, e164, "refused", decision.Reasons, null, null, ct);
            await tx.CommitAsync(ct);
            return new SmsSendResult(request.CorrelationId, request.SendId, "refused", decision.Reasons, null, now);
        }

        string status;
        string? sid = null;
        int? errorCode = null;
        IReadOnlyList<string> reasons = [];
        try
        {
            var statusCallback = new Uri(twilioOptions.Value.PublicBaseUrl.TrimEnd('/') + "/twilio/sms/status#rc=3&rp=ct,rt,5xx");
            var message = await twilio.CreateMessageAsync(new CreateMessageRequest(
                e164, request.Body, messaging.Value.MessagingServiceSid is null ? messaging.Value.From : null,
                messaging.Value.MessagingServiceSid, statusCallback), ct);
            (status, sid) = ("sent", message.Sid);
        }
        catch (TwilioApiException e)
        {
            (status, errorCode, reasons) = ("failed", e.Code, [$"twilio-{e.Code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? e.HttpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture)}"]);
            LogTwilioRefused(e, Phone.Mask(e164));
        }

        await RecordAsync(c, tx, request, e164, status, reasons, sid, errorCode, ct);
        await tx.CommitAsync(ct);
        if (errorCode == TwilioApiException.UnsubscribedRecipient)
        {
            // 21610 at send time: the carrier already holds an opt-out; record it so nothing is tried again.
            await consent.ChangeAsync(e164, "sms", ConsentStates.OptedOut, "carrier-error", $"send:{request.SendId}", "twilio",
                "Twilio error 21610 when sending", false, time.GetUtcNow(), ct);
        }

        return new SmsSendResult(request.CorrelationId, request.SendId, status, reasons, sid, time.GetUtcNow());
    }

    private Task<int> RecordAsync(NpgsqlConnection c, NpgsqlTransaction tx, SendSms request, string e164, string status, IReadOnlyList<string> reasons, string? sid, int? errorCode, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(RecordSql, new
        {
            Id = request.SendId, Phone = e164, request.Body, Status = status, Reasons = reasons.ToArray(), MessageSid = sid, ErrorCode = errorCode, At = time.GetUtcNow(),
        }, tx, cancellationToken: ct));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio refused a text to {Phone}")]
    private partial void LogTwilioRefused(Exception e, string phone);
}

public sealed class SendSmsConsumer(SmsGate gate) : IConsumer<SendSms>
{
    public async Task Consume(ConsumeContext<SendSms> context) =>
        await context.RespondAsync(await gate.SendAsync(context.Message, context.CancellationToken));
}
