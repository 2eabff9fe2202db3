using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RecoveryComms.Contracts.Identity;
using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Hosting.Auth;

/// <summary>
/// The key owner's heartbeat: every second, the day's revocations read from the owner's own table, published
/// straight to the broker (not through the outbox, so a stuck relay cannot hold revocations back from it).
/// Replicas apply the revocations and store the heartbeat's time; without it they fail closed on privileged
/// routes (<see cref="KeyReplicaFreshnessHandler"/>).
/// </summary>
internal sealed class ApiKeyHeartbeatPublisher(
    NpgsqlDataSource dataSource, IBus bus, KeyReplicaSchema keys, KeyEventSigner signer, BackgroundLoops loops, ILogger<ApiKeyHeartbeatPublisher> logger)
    // Note: the loop's failures are logged when they start and when they end; the replicas turn stale meanwhile,
    // and refuse privileged routes until the heartbeat is published again, which is the point.
    : BackgroundLoop(loops, new LoopSettings(LoopName, "Publishing the API key heartbeat") { Idle = Interval }, logger)
{
    /// <summary>The loop's health and readiness name.</summary>
    public const string LoopName = "api-key-heartbeat";

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>How long a heartbeat may wait on the broker before it is dropped (the replicas need only the newest).</summary>
    public static readonly TimeSpan HeartbeatTimeToLive = TimeSpan.FromSeconds(30);

    protected override async Task<LoopStep> StepAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        // Note: a heartbeat is worth something only while it is fresh; expired, the broker drops it instead of piling a
        // day of them up for a consent service that is down.
        await bus.Publish(await ReadAsync(timeout.Token), publish => publish.TimeToLive = HeartbeatTimeToLive, timeout.Token);
        return LoopStep.Idle;
    }

    private async Task<ApiKeyHeartbeat> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Note: the heartbeat's time is read before the revocations, each statement with its own snapshot, so every
        // revocation committed before that time is in the list.
        DateTimeOffset at;
        await using (var now = new NpgsqlCommand("SELECT now()", connection))
        await using (var nowReader = await now.ExecuteReaderAsync(cancellationToken))
        {
            await nowReader.ReadAsync(cancellationToken);
            at = nowReader.GetFieldValue<DateTimeOffset>(0);
        }

        var revocations = new List<ApiKeyRevoked>();
        await using var command = new NpgsqlCommand(
            $"SELECT key_id, user_id, revoked_at FROM {keys.Schema}.api_keys WHERE revoked_at > @at - interval '1 day' ORDER BY revoked_at", connection);
        command.Parameters.AddWithValue("at", at);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            revocations.Add(new ApiKeyRevoked(reader.GetGuid(0), reader.GetGuid(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return signer.Sign(new ApiKeyHeartbeat(at, revocations));
    }
}
