using Microsoft.Extensions.Logging;
using Npgsql;

namespace RecoveryComms.Hosting.Background;

/// <summary>
/// The one PostgreSQL LISTEN/NOTIFY listener: a connection of its own LISTENing on some channels, opened again with
/// the loops' <see cref="Backoff"/> whenever it drops, its failures and recoveries logged and reported like a loop's
/// (<see cref="Health"/>).
/// </summary>
/// <remarks>
/// Note: a NOTIFY is sent by the writing transaction at commit, so a listener hears of a change within milliseconds
/// and never before the data is visible; but one sent while the listener is reconnecting is lost. So after every
/// (re)connect, once its LISTENs are in place, the listener calls its owner's catch-up (read the data again, or look
/// for work): a change made before is read then, one made after is both read and heard.
/// </remarks>
public sealed class PostgresListener
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly BackgroundLoops _loops;
    private readonly string _listen;
    private readonly LoopRunner _runner;
    private volatile bool _listening;

    /// <param name="dataSource">Where to listen.</param>
    /// <param name="loops">The service's loops: the migrations to wait for, the clock, the health of <paramref name="name"/>.</param>
    /// <param name="name">The listener's health name.</param>
    /// <param name="description">What it does, as its log lines begin: "Listening for settings changes".</param>
    /// <param name="channels">The NOTIFY channels (constants of the code, never input).</param>
    /// <param name="logger">Its owner's logger, so the lines carry the owner's category.</param>
    public PostgresListener(NpgsqlDataSource dataSource, BackgroundLoops loops, string name, string description, IReadOnlyList<string> channels, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(loops);
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentOutOfRangeException.ThrowIfZero(channels.Count);
        _dataSource = dataSource;
        _loops = loops;
        _listen = string.Join("; ", channels.Select(channel => $"LISTEN {channel}"));
        _runner = new LoopRunner(loops.Health(name), description, loops.Time, logger);
    }

    /// <summary>True while connected and listening; false while (re)connecting (a change made meanwhile is caught up at reconnect).</summary>
    public bool Listening => _listening;

    public LoopHealth Health => _runner.Health;

    /// <summary>
    /// Listens until <paramref name="ct"/> is cancelled, from the moment the service's schema is migrated.
    /// <paramref name="notified"/> gets each notification, in commit order; it runs on the connection's reading
    /// thread, so it only queues work. <paramref name="caughtUp"/> runs after each connect once the LISTENs are in
    /// place (its argument is false the first time, true after a reconnect); if it throws, the listener reconnects.
    /// </summary>
    public async Task RunAsync(Action<NpgsqlNotificationEventArgs> notified, Func<bool, CancellationToken, Task>? caughtUp, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(notified);
        await _loops.MigratedAsync(ct);
        var reconnect = false;
        await _runner.RunAsync(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            connection.Notification += (_, e) => notified(e);
            await using (var listen = new NpgsqlCommand(_listen, connection))
            {
                await listen.ExecuteNonQueryAsync(token);
            }

            if (caughtUp is not null)
            {
                await caughtUp(reconnect, token);
            }

            reconnect = true;
            _listening = true;
            _runner.Succeeded();
            try
            {
                while (true)
                {
                    await connection.WaitAsync(token);
                }
            }
            finally
            {
                _listening = false;
            }
        }, _ => Task.CompletedTask, ct);
    }
}
