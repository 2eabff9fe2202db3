using System.Text.Json;
using Microsoft.Extensions.Options;
using RecoveryComms.Contracts.Capture;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>
/// The last resort for a voice webhook that neither PostgreSQL nor the spool took: a local append-only file, one
/// JSON line per webhook (the <see cref="SpooledWebhook"/> form), flushed to disk (fsync) before Twilio hears back.
/// <see cref="WebhookKeeper"/> replays it into the normal pipeline once either is back, in order, and the file is
/// truncated once every line has been replayed. A replayed line is stored under the same unique key
/// (<c>inbound_webhooks</c>) as any copy of it, so a line replayed twice (a crash between replay and truncation)
/// changes nothing.
/// </summary>
public sealed partial class WebhookJournal : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Lock _lock = new();
    private readonly List<Entry> _pending = [];
    private readonly ILogger<WebhookJournal> _logger;
    private FileStream? _file;

    public WebhookJournal(IOptions<WebhookOptions> options, IHostEnvironment environment, ILogger<WebhookJournal> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        _logger = logger;
        FilePath = System.IO.Path.GetFullPath(
            string.IsNullOrWhiteSpace(options.Value.JournalPath) ? System.IO.Path.Combine("data", "webhook-journal.jsonl") : options.Value.JournalPath,
            environment.ContentRootPath);
        Load();
    }

    /// <summary>Where the journal lives (<c>Webhooks__JournalPath</c>; by default <c>data/webhook-journal.jsonl</c> under the content root).</summary>
    public string FilePath { get; }

    /// <summary>Lines written and not yet replayed.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>True when the call has lines waiting: its next webhooks must not overtake them.</summary>
    public bool HasPending(string callSid)
    {
        lock (_lock)
        {
            return _pending.Exists(entry => entry.CallSid == callSid);
        }
    }

    /// <summary>The lines waiting, oldest first: all of them, or one call's.</summary>
    public IReadOnlyList<Entry> Pending(string? callSid = null)
    {
        lock (_lock)
        {
            return callSid is null ? [.. _pending] : _pending.FindAll(entry => entry.CallSid == callSid);
        }
    }

    /// <summary>Appends the webhook and flushes it to disk; throws <see cref="IOException"/> when the disk does not take it.</summary>
    public void Append(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var webhook = request.ToSpooled();
        byte[] line = [.. JsonSerializer.SerializeToUtf8Bytes(webhook, Json), (byte)'\n'];
        lock (_lock)
        {
            var file = _file ??= Open();
            var end = file.Length;
            try
            {
                file.Write(line);
                file.Flush(flushToDisk: true);
            }
            catch (IOException)
            {
                // Note: a line cut short would swallow the next one; cut it off and let the caller count the loss.
                file.SetLength(end);
                throw;
            }

            _pending.Add(new Entry(webhook));
        }
    }

    /// <summary>The line has been stored or spooled; once none is left, the file is truncated.</summary>
    public void Replayed(Entry entry)
    {
        lock (_lock)
        {
            _pending.Remove(entry);
            if (_pending.Count == 0 && (_file is not null || File.Exists(FilePath)))
            {
                var file = _file ??= Open();
                file.SetLength(0);
                file.Flush(flushToDisk: true);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    // Note: one writer per file (FileShare.Read): each replica needs its own path.
    private FileStream Open()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(FilePath)!);
        var file = new FileStream(FilePath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 4096, FileOptions.None);
        file.Seek(0, SeekOrigin.End);
        if (file.Length > 0)
        {
            // A crash in the middle of a write leaves a line without its end; start the next line on its own.
            file.Seek(-1, SeekOrigin.End);
            var last = file.ReadByte();
            if (last != '\n')
            {
                file.WriteByte((byte)'\n');
            }
        }

        return file;
    }

    private void Load()
    {
        if (!File.Exists(FilePath))
        {
            return;
        }

        using var reader = new StreamReader(new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize<SpooledWebhook>(line, Json) is { } webhook)
                {
                    _pending.Add(new Entry(webhook));
                }
            }
            catch (JsonException)
            {
                // Only the line being written when the process died can be unreadable, and it was never answered.
                LogUnreadable(FilePath, number);
            }
        }

        if (_pending.Count > 0)
        {
            LogLoaded(_pending.Count, FilePath);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The webhook journal {Path} holds {Count} webhooks from before a restart; they are replayed once PostgreSQL or RabbitMQ takes them")]
    private partial void LogLoaded(int count, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The webhook journal {Path} has an unreadable line {Line} (cut short by a crash before it was answered); skipped")]
    private partial void LogUnreadable(string path, int line);

    /// <summary>One journal line. Compared by reference: two identical retries are two lines.</summary>
    public sealed class Entry(SpooledWebhook webhook)
    {
        public SpooledWebhook Webhook { get; } = webhook;

        public string? CallSid { get; } = webhook.Parameters.FirstOrDefault(p => p.Key == "CallSid").Value;
    }
}
