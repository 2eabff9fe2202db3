using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Background;
using RecoveryComms.Orchestrator.Alerts;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Users;

namespace RecoveryComms.Orchestrator.Views;

/// <summary>
/// The live console feed. Every item change NOTIFYs <c>orchestrator_items</c> at commit (see
/// <see cref="RecoveryItemStore"/>); each replica LISTENs, reads the item once and fans it out to its own SSE
/// clients, so a CSR connected to any replica sees every change within moments. A staff alert NOTIFYs
/// <c>orchestrator_alerts</c> with the alert's key only: the feed reads the stored row and sends it to its own
/// user's streams alone. A stream ends once its key is revoked (see <see cref="CheckKeysAsync"/>). The listener is
/// Hosting's (<see cref="PostgresListener"/>): it reconnects with the loops' back-off, and its readiness entry
/// (<see cref="LoopName"/>) is Degraded while it does.
/// </summary>
public sealed partial class ItemFeed(NpgsqlDataSource dataSource, BackgroundLoops loops, ILogger<ItemFeed> logger) : BackgroundService
{
    /// <summary>The listener's health and readiness name.</summary>
    public const string LoopName = "live-feed";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock _gate = new();
    private readonly List<Subscriber> _subscribers = [];
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private long _dropped;
    private int _keyCheckQueued;
    private bool _keyCheckFailing;

    /// <summary>Clients connected to this replica's feed now.</summary>
    public int Subscribers
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>Events dropped since start because a client was more than 1,000 behind (see <see cref="SubscribeAsync"/>).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// One client's feed until it disconnects or its key (by its SHA-256, <paramref name="keyHash"/>) is revoked. A
    /// client more than 1,000 events behind loses the oldest of them (it is not disconnected, so it does not know to
    /// reload: a known gap, see docs/console.md).
    /// </summary>
    public async IAsyncEnumerable<SseItem<string>> SubscribeAsync(Guid userId, string keyHash, [EnumeratorCancellation] CancellationToken ct)
    {
        var subscriber = new Subscriber(userId, keyHash, Channel.CreateBounded<SseItem<string>>(
            new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest }, _ => Interlocked.Increment(ref _dropped)));
        lock (_gate)
        {
            _subscribers.Add(subscriber);
        }

        try
        {
            yield return new SseItem<string>("{}", "ready");
            while (!subscriber.Closed)
            {
                using var ping = CancellationTokenSource.CreateLinkedTokenSource(ct);
                ping.CancelAfter(TimeSpan.FromSeconds(20));
                SseItem<string>? next;
                try
                {
                    next = await subscriber.Events.Reader.ReadAsync(ping.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    next = new SseItem<string>("{}", "ping");
                }
                catch (ChannelClosedException)
                {
                    next = null;
                }

                // Note: checked again after the wait: events queued before the key was found revoked are not sent either.
                if (next is null || subscriber.Closed)
                {
                    break;
                }

                yield return next.Value;
            }
        }
        finally
        {
            lock (_gate)
            {
                _subscribers.Remove(subscriber);
            }
        }
    }

    private void Send(SseItem<string> item, Guid? onlyTo = null)
    {
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
            {
                if (!subscriber.Closed && (onlyTo is null || subscriber.UserId == onlyTo))
                {
                    subscriber.Events.Writer.TryWrite(item);
                }
            }
        }
    }

    /// <summary>Queues one check of every connected key, unless one is queued and not yet started.</summary>
    private void QueueKeyCheck()
    {
        if (Interlocked.Exchange(ref _keyCheckQueued, 1) == 0)
        {
            _work.Writer.TryWrite(new Work(WorkKind.Keys, Guid.Empty, null));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listener = new PostgresListener(dataSource, loops, LoopName, "Listening for item changes",
            [RecoveryItemStore.ChangedChannel, StaffAlerts.AlertChannel, UserStore.KeysChannel], logger);
        await loops.MigratedAsync(stoppingToken);
        _ = Task.Run(() => WorkAsync(stoppingToken), stoppingToken);
        _ = Task.Run(() => CheckKeysPeriodicallyAsync(stoppingToken), stoppingToken);
        await listener.RunAsync(e =>
        {
            // Note: one connection hears all three channels in commit order, and one loop works through them in
            // that order, so an item change committed after a revocation is sent only once the revoked key's
            // streams are closed.
            if (e.Channel == RecoveryItemStore.ChangedChannel && Guid.TryParse(e.Payload, out var id))
            {
                _work.Writer.TryWrite(new Work(WorkKind.Item, id, null));
            }
            else if (e.Channel == StaffAlerts.AlertChannel && StaffAlerts.TryParseNotification(e.Payload, out var itemId, out var trigger))
            {
                _work.Writer.TryWrite(new Work(WorkKind.Alert, itemId, trigger));
            }
            else if (e.Channel == UserStore.KeysChannel)
            {
                QueueKeyCheck();
            }
        }, (reconnect, _) =>
        {
            // A revocation whose NOTIFY fell in the reconnect is caught up at once, not at the next periodic check.
            if (reconnect)
            {
                QueueKeyCheck();
            }

            return Task.CompletedTask;
        }, stoppingToken);
    }

    /// <summary>
    /// A revocation NOTIFY can be missed (the listening connection was being re-opened) or come from a revocation
    /// made outside <see cref="UserStore"/>: every connected key is checked once per <see cref="ApiKeyCache.Lifetime"/>
    /// as well, the same bound as a request's.
    /// </summary>
    private async Task CheckKeysPeriodicallyAsync(CancellationToken ct)
    {
        // Note: infrastructure time, like the heartbeat: tests that drive business time must not stop it.
        using var timer = new PeriodicTimer(ApiKeyCache.Lifetime, TimeProvider.System);
        while (await timer.WaitForNextTickAsync(ct))
        {
            if (Subscribers > 0)
            {
                QueueKeyCheck();
            }
        }
    }

    private async Task WorkAsync(CancellationToken ct)
    {
        await foreach (var work in _work.Reader.ReadAllAsync(ct))
        {
            try
            {
                if (work.Kind == WorkKind.Keys)
                {
                    Volatile.Write(ref _keyCheckQueued, 0);
                    await CheckKeysAsync(ct);
                    _keyCheckFailing = false;
                    continue;
                }

                await using var c = await dataSource.OpenConnectionAsync(ct);
                if (work.Kind == WorkKind.Item)
                {
                    if (await ItemQueries.GetAsync(c, null, work.ItemId, ct) is { } item)
                    {
                        Send(new SseItem<string>(JsonSerializer.Serialize(item, Json), "item") { EventId = $"{item.Id}:{item.Version}" });
                    }
                }
                else if (await StaffAlerts.ReadForFeedAsync(c, work.ItemId, work.Trigger!, ct) is { UserId: { } userId } alert)
                {
                    Send(new SseItem<string>(JsonSerializer.Serialize(alert, Json), "alert"), onlyTo: userId);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException && work.Kind == WorkKind.Keys)
            {
                // Note: the streams stay open (nothing reaches them while the database is away anyway); logged when the
                // failures start, not four times a second.
                if (!_keyCheckFailing)
                {
                    _keyCheckFailing = true;
                    LogKeyCheckFailed(e);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogReadFailed(e, work.Kind, work.ItemId);
            }
        }
    }

    /// <summary>Ends every stream whose key is no longer live (revoked, or rotated away). A failed check leaves the streams as they are and is tried again.</summary>
    private async Task CheckKeysAsync(CancellationToken ct)
    {
        HashSet<string> hashes;
        lock (_gate)
        {
            hashes = _subscribers.Select(s => s.KeyHash).ToHashSet(StringComparer.Ordinal);
        }

        if (hashes.Count == 0)
        {
            return;
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        var live = (await UserStore.LiveKeyHashesAsync(c, [.. hashes], ct)).ToHashSet(StringComparer.Ordinal);
        var closed = 0;
        lock (_gate)
        {
            // Note: only the keys that were asked about; a stream that connected during the query waits for the next check.
            foreach (var subscriber in _subscribers.Where(s => !s.Closed && hashes.Contains(s.KeyHash) && !live.Contains(s.KeyHash)))
            {
                subscriber.Close();
                closed++;
            }
        }

        if (closed > 0)
        {
            LogClosed(closed);
        }
    }

    private enum WorkKind
    {
        Item,
        Alert,
        Keys,
    }

    private readonly record struct Work(WorkKind Kind, Guid ItemId, string? Trigger);

    private sealed class Subscriber(Guid userId, string keyHash, Channel<SseItem<string>> events)
    {
        private volatile bool _closed;

        public Guid UserId { get; } = userId;

        public string KeyHash { get; } = keyHash;

        public Channel<SseItem<string>> Events { get; } = events;

        public bool Closed => _closed;

        public void Close()
        {
            _closed = true;
            Events.Writer.TryComplete();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading {Kind} {ItemId} for the stream failed")]
    private partial void LogReadFailed(Exception e, WorkKind kind, Guid itemId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the live feeds' keys failed; the streams stay open and the check is retried")]
    private partial void LogKeyCheckFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed {Count} live feeds whose key is revoked")]
    private partial void LogClosed(int count);
}
