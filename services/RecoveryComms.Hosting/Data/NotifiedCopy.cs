using Microsoft.Extensions.Hosting;
using Npgsql;

namespace RecoveryComms.Hosting.Data;

/// <summary>
/// Keeps an in-memory copy of stored data current across replicas: reads it once migrations are done, again whenever
/// a NOTIFY on <see cref="Channel"/> says it changed, and again at every reconnect.
/// </summary>
/// <remarks>
/// Note: LISTEN/NOTIFY rather than a poll. The NOTIFY is sent by the writing transaction at commit, so a replica hears
/// of a change within milliseconds and never before the data is visible. The listener is in place before each read,
/// so a change between the two is both read and heard; a notification missed while disconnected is covered by the
/// read at reconnect. Reads run one at a time, and a burst of notifications makes one more read, not one per
/// notification.
/// </remarks>
public abstract class NotifiedCopy(NpgsqlDataSource dataSource, MigrationState migrations) : BackgroundService
{
    private volatile bool _listening;

    /// <summary>False while (re)connecting: a change made meanwhile is read at reconnect.</summary>
    public bool Listening => _listening;

    /// <summary>The NOTIFY channel the writers signal on.</summary>
    protected abstract string Channel { get; }

    /// <summary>Reads the stored data into the copy.</summary>
    protected abstract Task ReadAsync(CancellationToken ct);

    /// <summary>Whether a notification's payload calls for a read (e.g. only a newer version).</summary>
    protected virtual bool Wants(string payload) => true;

    /// <summary>Listening and read, at start and after each reconnect; <paramref name="afterOutage"/> after a failure.</summary>
    protected virtual void OnListening(bool afterOutage)
    {
    }

    /// <summary>The listening connection failed; <paramref name="outageStarts"/> for the first failure of an outage.</summary>
    protected abstract void OnListenFailed(Exception e, bool outageStarts);

    /// <summary>A read after a notification failed; the next notification or reconnect reads again.</summary>
    protected abstract void OnReadFailed(Exception e);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!migrations.Done)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), stoppingToken);
        }

        var changed = System.Threading.Channels.Channel.CreateBounded<bool>(
            new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });
        _ = Task.Run(() => ReadOnNotificationAsync(changed.Reader, stoppingToken), stoppingToken);
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == Channel && Wants(e.Payload))
                    {
                        changed.Writer.TryWrite(true);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                await ReadAsync(stoppingToken);
                _listening = true;
                OnListening(failing);
                failing = false;
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                _listening = false;
                OnListenFailed(e, outageStarts: !failing);
                failing = true;
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task ReadOnNotificationAsync(System.Threading.Channels.ChannelReader<bool> changed, CancellationToken ct)
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
