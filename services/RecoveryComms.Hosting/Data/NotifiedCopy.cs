using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Hosting.Data;

/// <summary>
/// Keeps an in-memory copy of stored data current across replicas: reads it once migrations are done, again whenever
/// a NOTIFY on <see cref="Channel"/> says it changed, and again at every reconnect (<see cref="PostgresListener"/>).
/// </summary>
/// <remarks>
/// Note: LISTEN/NOTIFY rather than a poll: a replica hears of a change within milliseconds of its commit. Reads run
/// one at a time, and a burst of notifications makes one more read, not one per notification.
/// </remarks>
public abstract class NotifiedCopy(NpgsqlDataSource dataSource, BackgroundLoops loops, ILogger logger) : BackgroundService
{
    private PostgresListener? _listener;

    /// <summary>False while (re)connecting: a change made meanwhile is read at reconnect.</summary>
    public bool Listening => _listener?.Listening ?? false;

    /// <summary>The NOTIFY channel the writers signal on.</summary>
    protected abstract string Channel { get; }

    /// <summary>The listener's health name.</summary>
    protected abstract string Name { get; }

    /// <summary>What the listener does, as its log lines begin ("Listening for settings changes").</summary>
    protected abstract string Description { get; }

    /// <summary>Reads the stored data into the copy.</summary>
    protected abstract Task ReadAsync(CancellationToken ct);

    /// <summary>Whether a notification's payload calls for a read (e.g. only a newer version).</summary>
    protected virtual bool Wants(string payload) => true;

    /// <summary>Listening and read, at start and after each reconnect (<paramref name="afterOutage"/>).</summary>
    protected virtual void OnListening(bool afterOutage)
    {
    }

    /// <summary>A read after a notification failed; the next notification or reconnect reads again.</summary>
    protected abstract void OnReadFailed(Exception e);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _listener = new PostgresListener(dataSource, loops, Name, Description, [Channel], logger);
        var changed = System.Threading.Channels.Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var reading = Task.Run(() => ReadOnNotificationAsync(changed.Reader, stoppingToken), stoppingToken);
        await _listener.RunAsync(
            e =>
            {
                if (e.Channel == Channel && Wants(e.Payload))
                {
                    changed.Writer.TryWrite(true);
                }
            },
            async (reconnect, ct) =>
            {
                await ReadAsync(ct);
                OnListening(reconnect);
            },
            stoppingToken);
        await reading;
    }

    private async Task ReadOnNotificationAsync(ChannelReader<bool> changed, CancellationToken ct)
    {
        await foreach (var _ in changed.ReadAllAsync(ct))
        {
            try
            {
                await ReadAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                OnReadFailed(e);
            }
        }
    }
}
