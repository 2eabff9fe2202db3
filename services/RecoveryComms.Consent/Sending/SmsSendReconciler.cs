using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Hosting.Background;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Telephony.Rest;

namespace RecoveryComms.Consent.Sending;

/// <summary>
/// Settles sends whose outcome the gate could not learn: <c>unknown</c> rows (Twilio's answer was lost) and
/// <c>sending</c> claims whose attempt died. It never sends: it lists Twilio's messages to the number
/// (<see cref="ITwilioRestClient.ListMessagesAsync"/>) and looks for the text, sent from our line, with the same
/// body, created around the claim, and not already the outcome of another send. Found: <c>sent</c> with its SID.
/// Not found once <see cref="SmsSendingOptions.GiveUpAfter"/> has passed since the claim (Twilio has sent or
/// dropped every text by then, see <see cref="SmsSendingOptions.ValidityPeriod"/>): <c>failed</c>. A listing that
/// fails settles nothing. The work lives in PostgreSQL (due times in <c>check_after</c>, rows claimed with
/// <c>FOR UPDATE SKIP LOCKED</c>), so any number of replicas share it and a restart loses nothing. A step that
/// fails (PostgreSQL away) is tried again with the loops' back-off; its readiness entry (<see cref="LoopName"/>) is
/// Degraded while it fails and red once it has failed for <see cref="UnhealthyAfter"/>.
/// </summary>
public sealed partial class SmsSendReconciler(
    NpgsqlDataSource dataSource, ITwilioRestClient twilio, IOptions<SmsSendingOptions> options, IOptions<MessagingOptions> messaging,
    TimeProvider time, BackgroundLoops loops, ILogger<SmsSendReconciler> logger)
    // How often due sends are looked for: infrastructure time (the loops' clock); "due" is business time.
    : BackgroundLoop(loops, new LoopSettings(LoopName, "Settling unknown texts") { Idle = options.Value.PollInterval }, logger)
{
    /// <summary>The loop's health and readiness name.</summary>
    public const string LoopName = "sms-reconciler";

    /// <summary>How long the loop may fail before readiness turns red.</summary>
    public static readonly TimeSpan UnhealthyAfter = TimeSpan.FromMinutes(1);

    /// <summary>How far Twilio's clock and ours may disagree.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private const int BatchSize = 50;

    protected override async Task<LoopStep> StepAsync(CancellationToken ct) =>
        await ReconcileDueAsync(ct) < BatchSize ? LoopStep.Idle : LoopStep.Again;

    /// <summary>Looks up every send that is due, up to one batch; returns how many it examined.</summary>
    public async Task<int> ReconcileDueAsync(CancellationToken ct)
    {
        var examined = 0;
        while (examined < BatchSize && await ReconcileNextAsync(ct))
        {
            examined++;
        }

        return examined;
    }

    private async Task<bool> ReconcileNextAsync(CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        var send = await SmsSendStore.NextDueAsync(c, tx, now, ct);
        if (send is null)
        {
            return false;
        }

        var claimedAt = new DateTimeOffset(send.DecidedAt, TimeSpan.Zero);
        IReadOnlyList<MessageRecord> listed;
        try
        {
            listed = await twilio.ListMessagesAsync(new ListMessagesRequest(send.Phone, DateOnly.FromDateTime((claimedAt - ClockSkew).UtcDateTime)), ct);
        }
        catch (Exception e) when (e is TwilioApiException or HttpRequestException or Polly.Timeout.TimeoutRejectedException
            || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            // Twilio could not say: the send stays open, and is looked up again later.
            LogListFailed(e, send.Id, Phone.Mask(send.Phone));
            await SmsSendStore.PostponeAsync(c, tx, send.Id, now + options.Value.CheckEvery, ct);
            await tx.CommitAsync(ct);
            return true;
        }

        var latest = claimedAt + options.Value.StaleClaimAfter + ClockSkew;
        var candidates = listed
            .Where(m => m.Direction.StartsWith("outbound", StringComparison.Ordinal)
                && string.Equals(m.Body, send.Body, StringComparison.Ordinal)
                && (messaging.Value.From is null || messaging.Value.MessagingServiceSid is not null || m.From == messaging.Value.From)
                && (m.DateCreated ?? m.DateSent) is { } created && created >= claimedAt - ClockSkew && created <= latest)
            .OrderBy(m => m.DateCreated ?? m.DateSent)
            .ToList();
        var taken = candidates.Count == 0 ? new HashSet<string>() : await SmsSendStore.TakenAsync(c, tx, [.. candidates.Select(m => m.Sid)], ct);
        var match = candidates.FirstOrDefault(m => !taken.Contains(m.Sid));
        if (match is not null)
        {
            await SmsSendStore.ResolveAsync(c, tx, send.Id, SmsSendStatus.Sent, [], match.Sid, now, ct);
            LogSettled(send.Id, SmsSendStatus.Sent, match.Sid);
        }
        else if (now >= claimedAt + options.Value.GiveUpAfter)
        {
            await SmsSendStore.ResolveAsync(c, tx, send.Id, SmsSendStatus.Failed, ["twilio-not-found"], null, now, ct);
            LogSettled(send.Id, SmsSendStatus.Failed, null);
        }
        else
        {
            await SmsSendStore.PostponeAsync(c, tx, send.Id, now + options.Value.CheckEvery, ct);
        }

        await tx.CommitAsync(ct);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listing Twilio's messages to {Phone} for send {SendId} failed; it stays open")]
    private partial void LogListFailed(Exception e, Guid sendId, string phone);

    [LoggerMessage(Level = LogLevel.Information, Message = "Send {SendId} settled as {Status} ({MessageSid})")]
    private partial void LogSettled(Guid sendId, string status, string? messageSid);
}
