using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Orchestrator.Alerts;

namespace RecoveryComms.Orchestrator.Queue;

/// <summary>
/// The live console feed. Every item change NOTIFYs <c>orchestrator_items</c> at commit (see
/// <see cref="RecoveryItemStore"/>); each replica LISTENs, reads the item once and fans it out to its own SSE
/// clients, so a CSR connected to any replica sees every change within moments. Staff alerts come the same way.
/// </summary>
public sealed partial class ItemFeed(NpgsqlDataSource dataSource, MigrationState migrations, ILogger<ItemFeed> logger) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock _gate = new();
    private readonly List<Channel<SseItem<string>>> _subscribers = [];
    private long _dropped;

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
    /// One client's feed until it disconnects. A client more than 1,000 events behind loses the oldest of them (it is not
    /// disconnected, so it does not know to reload: a known gap, see docs/console.md).
    /// </summary>
    public async IAsyncEnumerable<SseItem<string>> SubscribeAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<SseItem<string>>(
            new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest }, _ => Interlocked.Increment(ref _dropped));
        lock (_gate)
        {
            _subscribers.Add(channel);
        }

        try
        {
            yield return new SseItem<string>("{}", "ready");
            while (true)
            {
                using var ping = CancellationTokenSource.CreateLinkedTokenSource(ct);
                ping.CancelAfter(TimeSpan.FromSeconds(20));
                SseItem<string> next;
                try
                {
                    next = await channel.Reader.ReadAsync(ping.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    next = new SseItem<string>("{}", "ping");
                }

                yield return next;
            }
        }
        finally
        {
            lock (_gate)
            {
                _subscribers.Remove(channel);
            }
        }
    }

    private void Broadcast(SseItem<string> item)
    {
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(item);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!migrations.Done)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), stoppingToken);
        }

        var changed = Channel.CreateUnbounded<Guid>();
        _ = Task.Run(() => PublishAsync(changed.Reader, stoppingToken), stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == RecoveryItemStore.ChangedChannel && Guid.TryParse(e.Payload, out var id))
                    {
                        changed.Writer.TryWrite(id);
                    }
                    else if (e.Channel == StaffAlerts.AlertChannel)
                    {
                        Broadcast(new SseItem<string>(e.Payload, "alert"));
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {RecoveryItemStore.ChangedChannel}; LISTEN {StaffAlerts.AlertChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogListenFailed(e);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task PublishAsync(ChannelReader<Guid> changed, CancellationToken ct)
    {
        await foreach (var id in changed.ReadAllAsync(ct))
        {
            try
            {
                await using var c = await dataSource.OpenConnectionAsync(ct);
                if (await ItemQueries.GetAsync(c, null, id, ct) is { } item)
                {
                    Broadcast(new SseItem<string>(JsonSerializer.Serialize(item, Json), "item") { EventId = $"{item.Id}:{item.Version}" });
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogReadFailed(e, id);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for item changes failed; reconnecting")]
    private partial void LogListenFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading changed item {ItemId} for the stream failed")]
    private partial void LogReadFailed(Exception e, Guid itemId);
}

public static class StreamEndpoints
{
    public static IEndpointRouteBuilder MapStreamEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/stream", (ItemFeed stream, CancellationToken ct) => TypedResults.ServerSentEvents(stream.SubscribeAsync(ct)))
            .RequireAuthorization(Policies.CsrOrAbove);
        return endpoints;
    }
}
