using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>
/// The outage tracker: whether PostgreSQL and the spool (RabbitMQ) are known to be down, so that a voice webhook
/// never waits on either (the caller hears silence meanwhile); <see cref="OutageRecovery"/> notices when they are
/// back. Each outage is logged once when it starts (the first failure's message, numbers masked, no stack trace:
/// the failure is expected) and once when it ends, with what happened meanwhile. Logging every webhook of an
/// outage wrote hundreds of stack traces a second.
/// </summary>
public sealed partial class StorageOutage(ILogger<StorageOutage> logger)
{
    private readonly Lock _lock = new();
    private DateTimeOffset? _postgresSince;
    private DateTimeOffset? _spoolSince;
    private int _spooled;
    private int _journaled;
    private int _lost;

    /// <summary>PostgreSQL failed and has not answered since: voice routes do not try it.</summary>
    public bool PostgresDown
    {
        get
        {
            lock (_lock)
            {
                return _postgresSince is not null;
            }
        }
    }

    /// <summary>The spool queue failed and has not taken a webhook since: voice routes do not try it.</summary>
    public bool SpoolDown
    {
        get
        {
            lock (_lock)
            {
                return _spoolSince is not null;
            }
        }
    }

    /// <summary>
    /// Webhooks this replica sent to the spool queue since the PostgreSQL outage in progress began; 0 once PostgreSQL
    /// answers (the spool's consumer then replays them within seconds). Exported as <c>recoverycomms_spool_messages</c>.
    /// </summary>
    public int SpooledInOutage
    {
        get
        {
            lock (_lock)
            {
                return _postgresSince is null ? 0 : _spooled;
            }
        }
    }

    /// <summary>A webhook could not be stored because PostgreSQL is unavailable; true when this starts the outage.</summary>
    public bool StoreFailed(Exception e, string route)
    {
        ArgumentNullException.ThrowIfNull(e);
        bool started;
        lock (_lock)
        {
            started = _postgresSince is null;
            // Note: outage length is infrastructure time, read from the system clock even where tests fake business time.
            _postgresSince ??= TimeProvider.System.GetUtcNow();
        }

        if (started)
        {
            var error = LogText.Masked(e.Message);
            LogStarted(route, error);
        }

        return started;
    }

    /// <summary>PostgreSQL answered (a webhook was stored, or the recovery probe got through): an outage in progress is over.</summary>
    public void PostgresAnswered()
    {
        DateTimeOffset since;
        int spooled, journaled, lost;
        lock (_lock)
        {
            if (_postgresSince is not { } start)
            {
                return;
            }

            (since, spooled, journaled, lost) = (start, _spooled, _journaled, _lost);
            (_postgresSince, _spooled, _journaled, _lost) = (null, 0, 0, 0);
        }

        LogEnded(SecondsSince(since), spooled, journaled, lost);
    }

    /// <summary>The spool queue did not take a webhook (the broker is down or did not confirm in time).</summary>
    public void SpoolFailed(string route, string error)
    {
        bool started;
        lock (_lock)
        {
            started = _spoolSince is null;
            _spoolSince ??= TimeProvider.System.GetUtcNow();
        }

        if (started)
        {
            LogSpoolStarted(route, error);
        }
    }

    /// <summary>The webhook went to the spool queue (which is therefore up).</summary>
    public void Spooled()
    {
        DateTimeOffset? spoolSince;
        lock (_lock)
        {
            _spooled++;
            (spoolSince, _spoolSince) = (_spoolSince, null);
        }

        if (spoolSince is { } since)
        {
            LogSpoolEnded(SecondsSince(since));
        }
    }

    /// <summary>Neither PostgreSQL nor the spool took a voice webhook: it went to the local journal.</summary>
    public void Journaled()
    {
        lock (_lock)
        {
            _journaled++;
        }
    }

    /// <summary>Nothing took it. Each one is logged: it is a webhook we could not keep.</summary>
    public void Lost(string route)
    {
        lock (_lock)
        {
            _lost++;
        }

        LogLost(route);
    }

    private static int SecondsSince(DateTimeOffset since) => (int)(TimeProvider.System.GetUtcNow() - since).TotalSeconds;

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL outage: storing a {Route} webhook failed ({Error}); spooling webhooks to RabbitMQ until it is back")]
    private partial void LogStarted(string route, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL outage over after {Seconds} s: {Spooled} webhooks spooled, {Journaled} journaled, {Lost} could not be kept")]
    private partial void LogEnded(int seconds, int spooled, int journaled, int lost);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool unavailable: spooling a {Route} webhook to RabbitMQ failed ({Error}); voice webhooks go to the local journal until it is back")]
    private partial void LogSpoolStarted(string route, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool back after {Seconds} s")]
    private partial void LogSpoolEnded(int seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "PostgreSQL and RabbitMQ are both unavailable: a {Route} webhook could not be kept")]
    private partial void LogLost(string route);
}

/// <summary>Text from elsewhere (exception messages, Twilio's error text) made fit for a log line.</summary>
public static class LogText
{
    /// <summary>Every number of seven or more digits is masked to its last four (<see cref="Phone.MaskText"/>).</summary>
    public static string Masked(string? text) => Phone.MaskText(text);
}
