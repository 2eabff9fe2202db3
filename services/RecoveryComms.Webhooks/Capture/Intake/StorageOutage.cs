using System.Text.RegularExpressions;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>
/// A PostgreSQL outage as the webhook pipeline sees it, logged once when it starts (the first failure's message,
/// numbers masked, no stack trace: the failure is expected) and once when it ends, with what happened meanwhile.
/// Logging every webhook of an outage wrote hundreds of stack traces a second.
/// </summary>
public sealed partial class StorageOutage(ILogger<StorageOutage> logger)
{
    private readonly Lock _lock = new();
    private DateTimeOffset? _since;
    private int _spooled;
    private int _lost;

    public bool InProgress
    {
        get
        {
            lock (_lock)
            {
                return _since is not null;
            }
        }
    }

    /// <summary>A webhook could not be stored because PostgreSQL is unavailable.</summary>
    public void StoreFailed(Exception e, string route)
    {
        ArgumentNullException.ThrowIfNull(e);
        bool started;
        lock (_lock)
        {
            started = _since is null;
            // Note: outage length is infrastructure time, read from the system clock even where tests fake business time.
            _since ??= TimeProvider.System.GetUtcNow();
        }

        if (started)
        {
            var error = LogText.Masked(e.Message);
            LogStarted(route, error);
        }
    }

    /// <summary>The webhook went to the spool instead.</summary>
    public void Spooled()
    {
        lock (_lock)
        {
            _spooled++;
        }
    }

    /// <summary>Neither PostgreSQL nor RabbitMQ took it. Each one is logged: it is a webhook we could not keep.</summary>
    public void Lost(string route)
    {
        lock (_lock)
        {
            _lost++;
        }

        LogLost(route);
    }

    /// <summary>A webhook was stored: if an outage was in progress, it is over.</summary>
    public void Stored()
    {
        DateTimeOffset since;
        int spooled, lost;
        lock (_lock)
        {
            if (_since is not { } start)
            {
                return;
            }

            (since, spooled, lost) = (start, _spooled, _lost);
            (_since, _spooled, _lost) = (null, 0, 0);
        }

        var seconds = (int)(TimeProvider.System.GetUtcNow() - since).TotalSeconds;
        LogEnded(seconds, spooled, lost);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL outage: storing a {Route} webhook failed ({Error}); spooling webhooks to RabbitMQ until it is back")]
    private partial void LogStarted(string route, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "PostgreSQL and RabbitMQ are both unavailable: a {Route} webhook could not be kept")]
    private partial void LogLost(string route);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL outage over after {Seconds} s: {Spooled} webhooks spooled, {Lost} could not be kept")]
    private partial void LogEnded(int seconds, int spooled, int lost);
}

/// <summary>Text from elsewhere (exception messages, Twilio's error text) made fit for a log line.</summary>
public static partial class LogText
{
    /// <summary>Every number of seven or more digits (optionally written with +, spaces, dashes, brackets) is masked to its last four.</summary>
    public static string Masked(string? text) =>
        string.IsNullOrEmpty(text) ? "" : PhoneLike().Replace(text, m => m.Value.Count(char.IsAsciiDigit) >= 7 ? Phone.Mask(m.Value) : m.Value);

    [GeneratedRegex(@"\+?\(?\d[\d\s()\-]{5,}\d", RegexOptions.CultureInvariant)]
    private static partial Regex PhoneLike();
}
