using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Orchestrator.Integrations;

/// <summary>
/// Sends due webhook deliveries to the CRMs. Woken by NOTIFY when a delivery is committed and by a short poll for
/// retries. Claims one row at a time with <c>FOR UPDATE SKIP LOCKED</c> and sends up to
/// <see cref="CrmWebhookOptions.MaxInFlight"/> at once (<see cref="CrmWebhookOptions.MaxInFlightPerWebhook"/> per
/// subscription), each bounded by <see cref="CrmWebhookOptions.RequestTimeout"/>, so a slow CRM delays nobody else.
/// Business times (due, backoff, expiry, the signature's <c>t</c>) come from the injected <see cref="TimeProvider"/>;
/// the loop's own waits are infrastructure time and use the system clock.
/// </summary>
public sealed partial class WebhookDispatcher : BackgroundLoop
{
    public const string HttpClientName = "crm-webhooks";
    public const string EventIdHeader = "RecoveryComms-Event-Id";
    public const string SignatureHeader = "RecoveryComms-Signature";

    /// <summary>The loop's health and readiness name.</summary>
    public const string LoopName = "crm-webhooks";

    private const string Channel = "orchestrator_webhooks";
    private const int MaxErrorLength = 500;

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");
    private readonly WebhookStore _store;
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly CrmWebhookOptions _options;
    private readonly PostgresListener _listener;
    private readonly ConcurrentDictionary<Guid, int> _inFlightPerWebhook = new();
    private readonly ConcurrentDictionary<long, Task> _inFlight = new();
    private readonly SemaphoreSlim _slots;

    public WebhookDispatcher(
        WebhookStore store, IHttpClientFactory httpClientFactory, NpgsqlDataSource dataSource, BackgroundLoops loops, TimeProvider time,
        IOptions<CrmWebhookOptions> options, ILogger<WebhookDispatcher> logger)
        : base(loops, new LoopSettings(LoopName, "The webhook dispatcher") { Idle = options?.Value.PollInterval ?? TimeSpan.FromSeconds(1) }, logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_store, _httpClientFactory, _time, _logger, _options) = (store, httpClientFactory, time, logger, options.Value);
        _slots = new SemaphoreSlim(_options.MaxInFlight, _options.MaxInFlight);
        // The poll keeps deliveries flowing while the listener reconnects; a reconnect looks for work at once.
        _listener = new PostgresListener(dataSource, loops, "crm-webhooks-listener", $"Listening on {Channel}", [Channel], logger);
    }

    protected override Task StartingAsync(CancellationToken ct)
    {
        _ = _listener.RunAsync(_ => Wake(), (_, _) =>
        {
            Wake();
            return Task.CompletedTask;
        }, ct);
        return Task.CompletedTask;
    }

    protected override async Task<LoopStep> StepAsync(CancellationToken ct)
    {
        await _slots.WaitAsync(ct);
        return await ClaimAsync(ct) ? LoopStep.Again : LoopStep.Idle;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Sends under way were cancelled with the stopping token; their rows roll back to pending.
        await Task.WhenAll(_inFlight.Values).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>Claims one due delivery and starts sending it; false (slot given back) when nothing is due.</summary>
    private async Task<bool> ClaimAsync(CancellationToken stoppingToken)
    {
        DeliveryClaim? claim;
        try
        {
            var busy = _inFlightPerWebhook.Where(w => w.Value >= _options.MaxInFlightPerWebhook).Select(w => w.Key).ToArray();
            claim = await _store.ClaimDueAsync(_time.GetUtcNow(), busy, stoppingToken);
        }
        catch
        {
            _slots.Release();
            throw;
        }

        if (claim is null)
        {
            _slots.Release();
            return false;
        }

        var webhookId = claim.Delivery.WebhookId;
        _inFlightPerWebhook.AddOrUpdate(webhookId, 1, (_, n) => n + 1);
        var id = claim.Delivery.Id;
        var sending = RunAsync(claim, stoppingToken);
        _inFlight[id] = sending;
        // Registered after the add, so the removal can never run before it.
        _ = sending.ContinueWith(_ => _inFlight.TryRemove(new KeyValuePair<long, Task>(id, sending)), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return true;
    }

    private async Task RunAsync(DeliveryClaim claim, CancellationToken stoppingToken)
    {
        // Off the claiming loop at once: the loop goes on claiming while this delivery waits for its CRM.
        await Task.Yield();
        var delivery = claim.Delivery;
        var url = SafeUrl(delivery.Url);
        try
        {
            if (delivery.Removed)
            {
                await claim.CancelAsync(stoppingToken);
                return;
            }

            var (statusCode, error) = await SendAsync(delivery, stoppingToken);
            var at = _time.GetUtcNow();
            if (error is null)
            {
                await claim.DeliveredAsync(at, statusCode!.Value, stoppingToken);
                LogDelivered(delivery.EventType, delivery.EventId, url, statusCode.Value, delivery.Attempts + 1);
                return;
            }

            var attempts = delivery.Attempts + 1;
            var next = RetrySchedule.NextAttempt(at, attempts, new DateTimeOffset(delivery.ExpiresAt, TimeSpan.Zero), _options, Random.Shared.NextDouble());
            var status = await claim.AttemptFailedAsync(at, statusCode, error, next, stoppingToken);
            if (status == DeliveryStatus.Failed)
            {
                LogGaveUp(delivery.EventType, delivery.EventId, url, attempts, error);
            }
            else
            {
                LogAttemptFailed(delivery.EventType, delivery.EventId, url, attempts, error, next);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // The attempt's outcome is not recorded: the row rolls back to pending and is tried again (the CRM
            // de-duplicates by event id if this attempt did reach it).
            Health.Failed(Time.Clock.GetUtcNow(), e.Message);
            LogRecordFailed(e, delivery.EventId);
        }
        finally
        {
            await claim.DisposeAsync();
            _inFlightPerWebhook.AddOrUpdate(delivery.WebhookId, 0, (_, n) => n - 1);
            _slots.Release();
            Wake();
        }
    }

    /// <summary>One POST; returns the status code and, unless it was a 2xx, what went wrong.</summary>
    private async Task<(int? StatusCode, string? Error)> SendAsync(DueDelivery delivery, CancellationToken stoppingToken)
    {
        var body = Encoding.UTF8.GetBytes(delivery.Body);
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = JsonContentType;
        request.Headers.Add(EventIdHeader, delivery.EventId.ToString());
        request.Headers.Add(SignatureHeader, WebhookSignature.Header(delivery.Secret, _time.GetUtcNow().ToUnixTimeSeconds(), body));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var response = await _httpClientFactory.CreateClient(HttpClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var code = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return (code, null);
            }

            return (code, Truncate($"HTTP {code} {response.ReasonPhrase}: {await ReadStartAsync(response, timeout.Token)}".TrimEnd(' ', ':')));
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return (null, $"no answer within {_options.RequestTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        catch (HttpRequestException e)
        {
            return ((int?)e.StatusCode, Truncate(e.InnerException is null ? e.Message : $"{e.Message} ({e.InnerException.Message})"));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Anything else that stops the POST (a URL the handler refuses, say) is a failed attempt too: recorded and
            // retried on schedule rather than re-claimed in a tight loop.
            return (null, Truncate(e.Message));
        }
    }

    /// <summary>The start of an error answer, for the delivery log: CRMs usually say there what they disliked.</summary>
    private static async Task<string> ReadStartAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[MaxErrorLength];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct)) > 0)
            {
                read += n;
            }

            return Encoding.UTF8.GetString(buffer, 0, read).ReplaceLineEndings(" ").Trim();
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return "";
        }
    }

    private static string Truncate(string text) => text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];

    /// <summary>Scheme, host, port and path: query strings and user info often carry tokens and never reach a log.</summary>
    internal static string SafeUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}" : "(invalid url)";

    public override void Dispose()
    {
        _slots.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Delivered {EventType} {EventId} to {Url}: HTTP {StatusCode} on attempt {Attempt}")]
    private partial void LogDelivered(string eventType, Guid eventId, string url, int statusCode, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivering {EventType} {EventId} to {Url} failed on attempt {Attempt} ({Error}); next attempt at {NextAttemptAt}")]
    private partial void LogAttemptFailed(string eventType, Guid eventId, string url, int attempt, string error, DateTimeOffset? nextAttemptAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gave up delivering {EventType} {EventId} to {Url} after {Attempts} attempts: {Error}")]
    private partial void LogGaveUp(string eventType, Guid eventId, string url, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording the outcome of webhook event {EventId} failed; it will be sent again")]
    private partial void LogRecordFailed(Exception e, Guid eventId);

}
