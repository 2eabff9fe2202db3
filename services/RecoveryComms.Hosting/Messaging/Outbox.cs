using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RecoveryComms.Contracts;
using RecoveryComms.Hosting.Background;
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

/// <summary>How long the relay may fail before the service reports itself not ready.</summary>
public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>
    /// Failing for longer than this turns readiness red (503), so a load balancer takes the replica out; a shorter
    /// failure (a broker restart) only shows as Degraded.
    /// </summary>
    [TimeSpanRange("00:00:01", "01:00:00")]
    public TimeSpan UnhealthyAfter { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Publishes the outbox to RabbitMQ. Woken by NOTIFY on commit (so an event leaves within milliseconds) and
/// by a one-second poll as a backstop. Rows are claimed with <c>FOR UPDATE SKIP LOCKED</c>, so any number of
/// replicas relay without publishing a row twice at once; a crash between publish and mark can publish
/// again, which is why every consumer tolerates a repeated <c>MessageId</c>.
/// </summary>
public sealed partial class OutboxRelay : BackgroundLoop
{
    /// <summary>The relay's health and readiness name.</summary>
    public const string LoopName = "outbox";

    private const int BatchSize = 200;
    private static readonly ActivitySource Source = new("RecoveryComms.Outbox");
    private readonly Outbox _outbox;
    private readonly NpgsqlDataSource _dataSource;
    private readonly IBus _bus;
    private readonly PostgresListener _listener;
    private readonly ILogger<OutboxRelay> _logger;

    public OutboxRelay(Outbox outbox, NpgsqlDataSource dataSource, IBus bus, BackgroundLoops loops, ILogger<OutboxRelay> logger)
        : base(loops, new LoopSettings(LoopName, $"Relaying the {outbox?.Schema} outbox"), logger)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        _outbox = outbox;
        _dataSource = dataSource;
        _bus = bus;
        _logger = logger;
        // The one-second poll keeps events flowing while the listener reconnects.
        _listener = new PostgresListener(dataSource, loops, "outbox-listener", $"Listening on {outbox.Channel}", [outbox.Channel], logger);
    }

    protected override Task StartingAsync(CancellationToken ct)
    {
        // Note: a reconnect wakes the relay too, for the rows committed while nobody listened.
        _ = _listener.RunAsync(_ => Wake(), (_, _) =>
        {
            Wake();
            return Task.CompletedTask;
        }, ct);
        return Task.CompletedTask;
    }

    protected override async Task<LoopStep> StepAsync(CancellationToken ct) =>
        await RelayBatchAsync(ct) < BatchSize ? LoopStep.Idle : LoopStep.Again;

    /// <summary>Publishes one batch; returns how many rows it published.</summary>
    public async Task<int> RelayBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = new List<OutboxRow>();
        await using (var select = new NpgsqlCommand(
            $"""
            SELECT id, message_id, message_type, payload::text, trace_parent
            FROM {_outbox.Schema}.outbox
            WHERE published_at IS NULL
            ORDER BY id
            LIMIT {BatchSize}
            FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new OutboxRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
        }

        if (rows.Count == 0)
        {
            return 0;
        }

        // Note: a row that cannot be read would fail the batch on every retry and hold back every event behind
        // it (key revocations included). It is moved to the dead letters with its error, in the same transaction.
        var readable = new List<(OutboxRow Row, object Message, Type Type)>();
        foreach (var row in rows)
        {
            if (TryRead(row, out var message, out var type, out var error))
            {
                readable.Add((row, message, type));
            }
            else
            {
                await DeadLetterAsync(connection, transaction, row, error, cancellationToken);
                LogDeadLettered(_outbox.Schema, row.Id, row.MessageId, row.Type, error);
            }
        }

        // Note: a publish waits for the broker's confirm; the timeout turns "broker down" into a retry
        // instead of a relay stuck forever while holding row locks.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await Task.WhenAll(readable.Select(r => PublishAsync(r.Row, r.Message, r.Type, timeout.Token)));

        await using (var mark = new NpgsqlCommand(
            $"UPDATE {_outbox.Schema}.outbox SET published_at = now() WHERE id = ANY(@ids)", connection, transaction))
        {
            mark.Parameters.AddWithValue("ids", readable.Select(r => r.Row.Id).ToArray());
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return rows.Count;
    }

    private sealed record OutboxRow(long Id, Guid MessageId, string Type, string Payload, string? TraceParent);

    private static bool TryRead(OutboxRow row, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out object? message, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Type? type, out string error)
    {
        message = null;
        error = "";
        type = typeof(CorrelationIds).Assembly.GetType(row.Type);
        if (type is null)
        {
            error = $"unknown message type {row.Type}";
            return false;
        }

        try
        {
            message = JsonSerializer.Deserialize(row.Payload, type, Outbox.Json);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            error = $"payload does not read as {row.Type}: {e.Message}";
            return false;
        }

        if (message is null)
        {
            error = $"payload is null for {row.Type}";
            return false;
        }

        return true;
    }

    private async Task DeadLetterAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, OutboxRow row, string error, CancellationToken cancellationToken)
    {
        await using var move = new NpgsqlCommand(
            $"""
            WITH moved AS (DELETE FROM {_outbox.Schema}.outbox WHERE id = @id RETURNING id, message_id, message_type, payload, trace_parent, created_at)
            INSERT INTO {_outbox.Schema}.outbox_dead_letters (outbox_id, message_id, message_type, payload, trace_parent, created_at, error)
            SELECT id, message_id, message_type, payload, trace_parent, created_at, @error FROM moved
            """, connection, transaction);
        move.Parameters.AddWithValue("id", row.Id);
        move.Parameters.AddWithValue("error", error);
        await move.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task PublishAsync(OutboxRow row, object message, Type type, CancellationToken cancellationToken)
    {
        using var activity = row.TraceParent is null
            ? Source.StartActivity("outbox publish", ActivityKind.Producer)
            : Source.StartActivity("outbox publish", ActivityKind.Producer, row.TraceParent);
        await _bus.Publish(message, type, context => context.MessageId = row.MessageId, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Moved {Schema} outbox row {OutboxId} (message {MessageId}, {MessageType}) to the dead letters: {Error}")]
    private partial void LogDeadLettered(string schema, long outboxId, Guid messageId, string messageType, string error);
}
