using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Telephony.Rest;

namespace RecoveryComms.Consent.Sending;

/// <summary>Whether the reconciler keeps up; drives its health check.</summary>
public sealed class SmsSendReconcilerState
{
    public DateTimeOffset? FailingSince { get; internal set; }

    public string? LastError { get; internal set; }
}

/// <summary>
/// Settles sends whose outcome the gate could not learn: <c>unknown</c> rows (Twilio's answer was lost) and
/// <c>sending</c> claims whose attempt died. It never sends: it lists Twilio's messages to the number
/// (<see cref="ITwilioRestClient.ListMessagesAsync"/>) and looks for the text, sent from our line, with the same
/// body, created around the claim, and not already the outcome of another send. Found: <c>sent</c> with its SID.
/// Not found once <see cref="SmsSendingOptions.GiveUpAfter"/> has passed since the claim (Twilio has sent or
/// dropped every text by then, see <see cref="SmsSendingOptions.ValidityPeriod"/>): <c>failed</c>. A listing that
/// fails settles nothing. The work lives in PostgreSQL (due times in <c>check_after</c>, rows claimed with
/// <c>FOR UPDATE SKIP LOCKED</c>), so any number of replicas share it and a restart loses nothing.
/// </summary>
public sealed partial class SmsSendReconciler(
    NpgsqlDataSource dataSource, ITwilioRestClient twilio, IOptions<SmsSendingOptions> options, IOptions<MessagingOptions> messaging,
    SmsSendReconcilerState state, MigrationState migrations, TimeProvider time, ILogger<SmsSendReconciler> logger) : BackgroundService
{
    /// <summary>How far Twilio's clock and ours may disagree.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private const int BatchSize = 50;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!migrations.Done)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), stoppingToken);
        }

        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var examined = await ReconcileDueAsync(stoppingToken);
                state.FailingSince = null;
                backoff = TimeSpan.FromMilliseconds(200);
                if (examined < BatchSize)
                {
                    await Task.Delay(options.Value.PollInterval, time, stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                state.FailingSince ??= TimeProvider.System.GetUtcNow();
                state.LastError = e.Message;
                LogReconcileFailed(e, backoff);
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 30_000));
            }
        }
    }

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
            state.LastError = e.Message;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settling unknown texts failed; retrying in {Delay}")]
    private partial void LogReconcileFailed(Exception e, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listing Twilio's messages to {Phone} for send {SendId} failed; it stays open")]
    private partial void LogListFailed(Exception e, Guid sendId, string phone);

    [LoggerMessage(Level = LogLevel.Information, Message = "Send {SendId} settled as {Status} ({MessageSid})")]
    private partial void LogSettled(Guid sendId, string status, string? messageSid);
}

// Note: like the outbox relay's, this is infrastructure time (how long the loop has been failing), not business time.
internal sealed class SmsSendReconcilerHealthCheck(SmsSendReconcilerState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.FailingSince switch
        {
            { } since when since < TimeProvider.System.GetUtcNow().AddMinutes(-1) =>
                HealthCheckResult.Unhealthy($"settling unknown texts has failed since {since:O}: {state.LastError}"),
            not null => HealthCheckResult.Degraded($"settling unknown texts failing: {state.LastError}"),
            _ => HealthCheckResult.Healthy(),
        });
}
