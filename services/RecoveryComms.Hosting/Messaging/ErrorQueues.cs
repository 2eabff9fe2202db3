using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Hosting.Messaging;

/// <summary>The queues this process consumes from, learnt as their endpoints start (temporary response queues left out).</summary>
public sealed class OwnQueues : IReceiveEndpointObserver
{
    private readonly ConcurrentDictionary<string, bool> _names = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => [.. _names.Keys.Order(StringComparer.Ordinal)];

    public Task Ready(ReceiveEndpointReady ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        var address = ready.InputAddress;
        if (!address.Query.Contains("temporary=true", StringComparison.OrdinalIgnoreCase))
        {
            _names.TryAdd(address.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Last(), true);
        }

        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;
}

/// <summary>
/// The <c>_error</c> queues of this process's endpoints, read and emptied over a connection of their own: how many
/// messages each holds (for <c>/metrics</c> and readiness), and moving them back to their queues once the cause is
/// fixed (<c>./infra/dev.sh replay-errors</c>, <c>POST /api/operations/replay-errors</c>).
/// </summary>
public sealed partial class ErrorQueues(RabbitMqOptions options, OwnQueues queues, ILogger<ErrorQueues> logger) : IAsyncDisposable
{
    public const string Suffix = "_error";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    /// <summary>Messages waiting in each of this process's error queues (a queue nothing was ever parked in is absent or 0).</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountAsync(CancellationToken ct)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var queue in queues.Names)
        {
            counts[queue + Suffix] = await CountAsync(queue + Suffix, ct);
        }

        return counts;
    }

    /// <summary>
    /// Moves every message of <paramref name="errorQueue"/> back to the queue it failed on, one at a time: published
    /// (broker-confirmed) first, then removed from the error queue, so a crash in between repeats a message, never loses one.
    /// </summary>
    public async Task<int> ReplayAsync(string errorQueue, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(errorQueue);
        if (!errorQueue.EndsWith(Suffix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{errorQueue} is not an error queue (its name ends in {Suffix}).", nameof(errorQueue));
        }

        var target = errorQueue[..^Suffix.Length];
        await using var channel = await ChannelAsync(ct);
        var moved = 0;
        while (!ct.IsCancellationRequested && await channel.BasicGetAsync(errorQueue, autoAck: false, ct) is { } message)
        {
            var properties = new BasicProperties(message.BasicProperties);
            if (properties.Headers is { } headers)
            {
                // The fault's own headers describe the last failure; a replayed message that fails again gets new ones.
                foreach (var key in headers.Keys.Where(k => k.StartsWith("MT-Fault-", StringComparison.Ordinal) || k == "MT-Reason").ToList())
                {
                    headers.Remove(key);
                }
            }

            await channel.BasicPublishAsync("", target, mandatory: true, properties, message.Body, ct);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, ct);
            moved++;
        }

        LogReplayed(moved, errorQueue, target);
        return moved;
    }

    /// <summary>Replays every error queue of this process; returns how many messages each gave back.</summary>
    public async Task<IReadOnlyDictionary<string, int>> ReplayAllAsync(CancellationToken ct)
    {
        var replayed = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (queue, count) in await CountAsync(ct))
        {
            if (count > 0)
            {
                replayed[queue] = await ReplayAsync(queue, ct);
            }
        }

        return replayed;
    }

    private async Task<long> CountAsync(string queue, CancellationToken ct)
    {
        await using var channel = await ChannelAsync(ct);
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue, ct)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return 0; // MassTransit declares an error queue on the first fault only.
        }
    }

    private async Task<IChannel> ChannelAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_connection is not { IsOpen: true })
            {
                if (_connection is not null)
                {
                    await _connection.DisposeAsync();
                }

                var factory = new ConnectionFactory
                {
                    HostName = options.Host, Port = options.Port, UserName = options.Username, Password = options.Password,
                    VirtualHost = options.VirtualHost, ClientProvidedName = "recoverycomms-error-queues",
                    RequestedConnectionTimeout = TimeSpan.FromSeconds(3),
                };
                _connection = await factory.CreateConnectionAsync(ct);
            }

            return await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replayed {Count} parked messages from {ErrorQueue} to {Queue}")]
    private partial void LogReplayed(int count, string errorQueue, string queue);
}

/// <summary>The last count of parked messages, refreshed every few seconds; read by readiness and <c>/metrics</c>.</summary>
/// <remarks>Note: needs the broker only, so it runs before the migrations and while PostgreSQL is away.</remarks>
public sealed class ParkedMessages(ErrorQueues errorQueues, BackgroundLoops loops, ILogger<ParkedMessages> logger)
    : BackgroundLoop(loops, new LoopSettings("parked-messages", "Counting parked messages") { Idle = Every, AfterMigrations = false }, logger), IHealthCheck
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(10);

    private IReadOnlyDictionary<string, long> _counts = new Dictionary<string, long>();

    public IReadOnlyDictionary<string, long> Counts => _counts;

    protected override async Task<LoopStep> StepAsync(CancellationToken ct)
    {
        _counts = await errorQueues.CountAsync(ct);
        return LoopStep.Idle;
    }

    /// <summary>Reads the counts now (after a replay, so readiness does not lag behind it); a failure keeps the last counts.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        var startedAt = Time.Clock.GetUtcNow();
        try
        {
            _counts = await errorQueues.CountAsync(ct);
            Health.Succeeded();
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The broker is down or refusing us: the counts keep their last value and readiness says so.
            Health.Failed(startedAt, e.Message);
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var parked = _counts.Where(p => p.Value > 0).ToList();
        var result = parked.Count > 0
            ? HealthCheckResult.Degraded("parked messages: " + string.Join(", ", parked.Select(p => $"{p.Key}={p.Value}")) + " (./infra/dev.sh replay-errors)")
            : Health.LastError is { } error ? HealthCheckResult.Degraded("error queues not readable: " + error) : HealthCheckResult.Healthy();
        return Task.FromResult(result);
    }
}

/// <summary>The bus's figures at <c>/metrics</c>: parked messages per error queue, and what the failure policy did.</summary>
public sealed class MessagingMetrics
{
    public const string MeterName = "RecoveryComms.Messaging";

    private readonly Counter<long> _parked;
    private readonly Counter<long> _returned;

    public MessagingMetrics(IMeterFactory meters, ParkedMessages parked)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(parked);
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("recoverycomms.error_queue.messages",
            () => parked.Counts.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("queue", p.Key))), "{message}",
            "Messages parked in each error queue of this service: poison messages that need a look, then ./infra/dev.sh replay-errors.");
        _parked = meter.CreateCounter<long>("recoverycomms.messages.parked", "{message}", "Messages moved to an error queue (poison messages).");
        _returned = meter.CreateCounter<long>("recoverycomms.messages.returned", "{message}",
            "Deliveries handed back to their queue after a transient failure outlasted the in-memory window, or at shutdown.");
    }

    public void Parked(string queue) => _parked.Add(1, new KeyValuePair<string, object?>("queue", queue));

    public void Returned(string queue) => _returned.Add(1, new KeyValuePair<string, object?>("queue", queue));
}
