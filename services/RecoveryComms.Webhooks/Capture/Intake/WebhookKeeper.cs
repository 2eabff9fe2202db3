using Microsoft.Extensions.Options;
using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>
/// Keeps a webhook somewhere durable before Twilio hears back: stored in PostgreSQL; else parked on the spool
/// queue; else, for a voice route, written to the local journal. A voice route never waits on a dependency the
/// outage tracker knows to be down, and waits at most <c>VoiceStoreTimeout</c> and then <c>VoiceSpoolTimeout</c>
/// on the others, so the caller hears the shop within a second whatever is down. Other callbacks try every time
/// (Twilio waits up to 15 s for them and retries a 503).
/// </summary>
public sealed partial class WebhookKeeper(
    CaptureProcessor processor, WebhookSpool spool, WebhookJournal journal, WebhookRoutes routes, StorageOutage outage,
    IOptions<WebhookOptions> options, ILogger<WebhookKeeper> logger) : IDisposable
{
    private readonly SemaphoreSlim _replaying = new(1, 1);

    private WebhookOptions Options => options.Value;

    /// <summary>Keeps the webhook; returns Twilio's answer (a duplicate's is the first copy's), or null when nothing could keep it.</summary>
    public Task<WebhookAnswer?> KeepAsync(WebhookRoute route, WebhookRequest request, CallbackKey key, WebhookAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(route);
        return route.AlwaysAnswers ? KeepVoiceAsync(route, request, key, answer) : KeepCallbackAsync(route, request, key, answer);
    }

    /// <summary>
    /// Replays the journal (all of it, or one call's lines) into PostgreSQL or the spool, oldest first; false when
    /// neither took the next line. Replays run one at a time.
    /// </summary>
    public async Task<bool> ReplayJournalAsync(string? callSid, CancellationToken ct)
    {
        await _replaying.WaitAsync(ct);
        try
        {
            foreach (var entry in journal.Pending(callSid))
            {
                if (!await ReplayAsync(entry, ct))
                {
                    return false;
                }

                journal.Replayed(entry);
            }

            return true;
        }
        finally
        {
            _replaying.Release();
        }
    }

    private async Task<WebhookAnswer?> KeepVoiceAsync(WebhookRoute route, WebhookRequest request, CallbackKey key, WebhookAnswer answer)
    {
        // Note: a call with lines in the journal gets its next ones there too, behind them, so that the replay
        // keeps the call's order (its dial result before its final status decides missed or abandoned).
        if (!HasJournaled(request))
        {
            if (!outage.PostgresDown)
            {
                // Note: a slow store is not cancelled (that breaks the connection and may leave the outcome unknown);
                // it goes on in the background and the webhook is also spooled or journaled. Whichever copy is stored
                // first counts; the other is a duplicate of the same unique key.
                var storing = processor.StoreAsync(route, request, key, answer, spooled: false, CancellationToken.None);
                try
                {
                    var stored = await storing.WaitAsync(Options.VoiceStoreTimeout);
                    outage.PostgresAnswered();
                    return stored;
                }
                catch (TimeoutException) when (!storing.IsCompleted)
                {
                    LogSlowStore(route.Path, (int)Options.VoiceStoreTimeout.TotalMilliseconds);
                    _ = LateStoreAsync(storing, route.Path);
                }
                catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
                {
                    PostgresFailed(e, route.Path);
                }
            }

            if (!outage.SpoolDown)
            {
                var spooling = SpoolAsync(request, WebhookSpool.DefaultTimeout);
                try
                {
                    if (await spooling.WaitAsync(Options.VoiceSpoolTimeout))
                    {
                        return answer;
                    }
                }
                catch (TimeoutException)
                {
                    // Not confirmed in time: treated as down until a spool succeeds (this one may still, later).
                    outage.SpoolFailed(request.Route, $"no confirm within {(int)Options.VoiceSpoolTimeout.TotalMilliseconds} ms");
                }
            }
        }

        try
        {
            journal.Append(request);
            outage.Journaled();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogJournalFailed(journal.FilePath, e.Message);
            outage.Lost(route.Path);
        }

        // The caller hears the shop's TwiML whatever happened.
        return answer;
    }

    private async Task<WebhookAnswer?> KeepCallbackAsync(WebhookRoute route, WebhookRequest request, CallbackKey key, WebhookAnswer answer)
    {
        // The call's earlier webhooks go first (a final status stored before the journaled dial result would make a
        // missed call abandoned); if they cannot, neither can this one, and Twilio retries it.
        if (HasJournaled(request) && !await ReplayJournalAsync(request["CallSid"], CancellationToken.None))
        {
            outage.Lost(route.Path);
            return null;
        }

        try
        {
            // Note: not the request's token. Once Twilio's request is in, the write completes even if Twilio hangs up.
            var stored = await processor.StoreAsync(route, request, key, answer, spooled: false, CancellationToken.None);
            outage.PostgresAnswered();
            return stored;
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            PostgresFailed(e, route.Path);
        }

        if (await SpoolAsync(request, WebhookSpool.DefaultTimeout))
        {
            return answer;
        }

        outage.Lost(route.Path);
        return null;
    }

    private async Task<bool> ReplayAsync(WebhookJournal.Entry entry, CancellationToken ct)
    {
        var request = WebhookRequest.FromSpooled(entry.Webhook);
        WebhookRoute route;
        CallbackKey? key;
        try
        {
            route = routes.Get(request.Route);
            key = route.Key(request);
        }
        catch (WebhookRejectedException e)
        {
            // Every line was validated before it was written; only a route this version no longer has can fail here.
            LogUnreplayable(request.Route, e.Message);
            return true;
        }

        if (key is null)
        {
            return true;
        }

        try
        {
            await processor.StoreAsync(route, request, key, route.Answer(request), spooled: true, ct);
            outage.PostgresAnswered();
            return true;
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            PostgresFailed(e, route.Path);
        }

        return await SpoolAsync(request, WebhookSpool.DefaultTimeout);
    }

    private async Task LateStoreAsync(Task<WebhookAnswer> storing, string route)
    {
        try
        {
            await storing;
            outage.PostgresAnswered();
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            PostgresFailed(e, route);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The webhook is kept in the spool or journal as well; this copy's failure is only worth a line.
            LogLateStoreFailed(e, route);
        }
    }

    private void PostgresFailed(Exception e, string route)
    {
        if (outage.StoreFailed(e, route))
        {
            // Idle connections the outage broke would each fail once more after it is over; start afresh.
            processor.ForgetIdleConnections();
        }
    }

    private async Task<bool> SpoolAsync(WebhookRequest request, TimeSpan timeout)
    {
        var (spooled, error) = await spool.TrySpoolAsync(request, timeout);
        if (spooled)
        {
            outage.Spooled();
        }
        else
        {
            outage.SpoolFailed(request.Route, error ?? "");
        }

        return spooled;
    }

    public void Dispose() => _replaying.Dispose();

    private bool HasJournaled(WebhookRequest request) => journal.Count > 0 && request["CallSid"] is { } callSid && journal.HasPending(callSid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing a {Route} webhook took over {Milliseconds} ms; it is spooled instead so the caller is not kept waiting")]
    private partial void LogSlowStore(string route, int milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A slow {Route} webhook failed to store after it was kept elsewhere")]
    private partial void LogLateStoreFailed(Exception e, string route);

    [LoggerMessage(Level = LogLevel.Error, Message = "The webhook journal {Path} did not take a webhook: {Error}")]
    private partial void LogJournalFailed(string path, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "A journaled {Route} webhook cannot be replayed and is dropped: {Error}")]
    private partial void LogUnreplayable(string route, string error);
}
