using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RecoveryComms.Contracts;
using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Hosting.Messaging;

/// <summary>
/// The transactional outbox of one service schema: events are written to <c>&lt;schema&gt;.outbox</c> in the
/// same transaction as the state they describe, and <see cref="OutboxRelay"/> publishes them afterwards.
/// A broker outage therefore delays events but never drops them.
/// </summary>
public sealed class Outbox(string schema)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Schema { get; } = schema;

    internal string Channel => $"{Schema}_outbox";

    /// <summary>Adds an event to the outbox inside the caller's transaction.</summary>
    public async Task EnqueueAsync<T>(NpgsqlConnection connection, NpgsqlTransaction transaction, T message, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(message);
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO {Schema}.outbox (message_id, message_type, payload, trace_parent)
            VALUES (@id, @type, @payload::jsonb, @trace)
            """, connection, transaction);
        command.Parameters.AddWithValue("id", NewId.NextGuid());
        command.Parameters.AddWithValue("type", typeof(T).FullName!);
        command.Parameters.AddWithValue("payload", JsonSerializer.Serialize(message, Json));
        command.Parameters.AddWithValue("trace", (object?)Activity.Current?.Id ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>Whether the relay is keeping up; drives the readiness check.</summary>
public sealed class OutboxRelayState
{
    public DateTimeOffset? LastFailureAt { get; internal set; }

    public string? LastError { get; internal set; }
}

/// <summary>
/// Publishes the outbox to RabbitMQ. Woken by NOTIFY on commit (so an event leaves within milliseconds) and
/// by a one-second poll as a backstop. Rows are claimed with <c>FOR UPDATE SKIP LOCKED</c>, so any number of
/// replicas relay without publishing a row twice at once; a crash between publish and mark can publish
/// again, which is why every consumer tolerates a repeated <c>MessageId</c>.
/// </summary>
public sealed partial class OutboxRelay(
    Outbox outbox, NpgsqlDataSource dataSource, IBus bus, OutboxRelayState state, MigrationState migrations, ILogger<OutboxRelay> logger) : BackgroundService
{
    private const int BatchSize = 200;
    private static readonly ActivitySource Source = new("RecoveryComms.Outbox");
    private readonly SemaphoreSlim _wake = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!migrations.Done)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), stoppingToken);
        }

        _ = ListenAsync(stoppingToken);
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var published = await RelayBatchAsync(stoppingToken);
                state.LastError = null;
                backoff = TimeSpan.FromMilliseconds(200);
                if (published < BatchSize)
                {
                    await _wake.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                state.LastFailureAt = TimeProvider.System.GetUtcNow();
                state.LastError = e.Message;
                LogRelayFailed(e, outbox.Schema, backoff);
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5_000));
            }
        }
    }

    /// <summary>Publishes one batch; returns how many rows it published.</summary>
    public async Task<int> RelayBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = new List<(long Id, Guid MessageId, string Type, string Payload, string? TraceParent)>();
        await using (var select = new NpgsqlCommand(
            $"""
            SELECT id, message_id, message_type, payload::text, trace_parent
            FROM {outbox.Schema}.outbox
            WHERE published_at IS NULL
            ORDER BY id
            LIMIT {BatchSize}
            FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
        }

        if (rows.Count == 0)
        {
            return 0;
        }

        // Note: a publish waits for the broker's confirm; the timeout turns "broker down" into a retry
        // instead of a relay stuck forever while holding row locks.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await Task.WhenAll(rows.Select(row => PublishAsync(row.MessageId, row.Type, row.Payload, row.TraceParent, timeout.Token)));

        await using (var mark = new NpgsqlCommand(
            $"UPDATE {outbox.Schema}.outbox SET published_at = now() WHERE id = ANY(@ids)", connection, transaction))
        {
            mark.Parameters.AddWithValue("ids", rows.Select(r => r.Id).ToArray());
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return rows.Count;
    }

    private async Task PublishAsync(Guid messageId, string typeName, string payload, string? traceParent, CancellationToken cancellationToken)
    {
        var type = typeof(CorrelationIds).Assembly.GetType(typeName)
            ?? throw new InvalidOperationException($"Outbox holds an unknown message type {typeName}");
        var message = JsonSerializer.Deserialize(payload, type, Outbox.Json)!;
        using var activity = traceParent is null
            ? Source.StartActivity("outbox publish", ActivityKind.Producer)
            : Source.StartActivity("outbox publish", ActivityKind.Producer, traceParent);
        await bus.Publish(message, type, context => context.MessageId = messageId, cancellationToken);
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => _wake.Release();
                await using (var listen = new NpgsqlCommand($"LISTEN {outbox.Channel}", connection))
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
                // The one-second poll keeps events flowing while the listener reconnects.
                LogListenFailed(e, outbox.Channel);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Relaying the {Schema} outbox failed; retrying in {Delay}")]
    private partial void LogRelayFailed(Exception e, string schema, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening on {Channel} failed; polling until it reconnects")]
    private partial void LogListenFailed(Exception e, string channel);
}

// Note: relay timing is infrastructure time (back-off, health), not business time, so it reads the system
// clock even where tests drive business time with a fake one.
internal sealed class OutboxHealthCheck(OutboxRelayState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.LastError is not null && state.LastFailureAt > TimeProvider.System.GetUtcNow().AddSeconds(-30)
            ? HealthCheckResult.Degraded($"outbox relay failing: {state.LastError}")
            : HealthCheckResult.Healthy());
}
