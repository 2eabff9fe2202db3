using MassTransit;
using Npgsql;
using RecoveryComms.Contracts.Identity;

namespace RecoveryComms.Hosting.Auth;

/// <summary>Where a service keeps its copy of the orchestrator's keys.</summary>
public sealed record ApiKeyReplica(string Schema);

/// <summary>
/// Stores an issued key's hash and role. Idempotent: a repeated event upserts the same row, and a key that
/// was already revoked stays revoked even if its issue event arrives late. An event without the owner's signature
/// is parked, never stored (<see cref="KeyEventVerifier"/>).
/// </summary>
public sealed class ApiKeyIssuedConsumer(NpgsqlDataSource dataSource, ApiKeyReplica replica, KeyEventVerifier verifier) : IConsumer<ApiKeyIssued>
{
    public async Task Consume(ConsumeContext<ApiKeyIssued> context)
    {
        var issued = context.Message;
        if (!verifier.IsValid(issued))
        {
            throw new UntrustedKeyEventException($"ApiKeyIssued for key {issued.KeyId} does not carry the key owner's signature: not stored");
        }

        await using var command = dataSource.CreateCommand(
            $"""
            INSERT INTO {replica.Schema}.api_keys (key_id, user_id, user_name, role, key_hash, issued_at)
            VALUES (@keyId, @userId, @userName, @role, @hash, @issuedAt)
            ON CONFLICT (key_id) DO UPDATE SET user_name = EXCLUDED.user_name, role = EXCLUDED.role
            """);
        command.Parameters.AddWithValue("keyId", issued.KeyId);
        command.Parameters.AddWithValue("userId", issued.UserId);
        command.Parameters.AddWithValue("userName", issued.UserName);
        command.Parameters.AddWithValue("role", issued.Role);
        command.Parameters.AddWithValue("hash", issued.KeyHash);
        command.Parameters.AddWithValue("issuedAt", issued.OccurredAt);
        await command.ExecuteNonQueryAsync(context.CancellationToken);
    }
}

/// <summary>
/// Marks a key revoked; arrives before its issue event → a revoked placeholder that the late issue cannot revive.
/// Also consumes the owner's <see cref="ApiKeyHeartbeat"/> (the same work: revocations, plus the time that makes
/// this replica fresh), in one transaction, so a stored heartbeat always means its revocations are stored too.
/// Both must carry the owner's signature, and a heartbeat's time is never stored later than this database's clock.
/// </summary>
public sealed class ApiKeyRevokedConsumer(NpgsqlDataSource dataSource, ApiKeyReplica replica, KeyEventVerifier verifier) : IConsumer<ApiKeyRevoked>, IConsumer<ApiKeyHeartbeat>
{
    public async Task Consume(ConsumeContext<ApiKeyRevoked> context)
    {
        if (!verifier.IsValid(context.Message))
        {
            throw new UntrustedKeyEventException($"ApiKeyRevoked for key {context.Message.KeyId} does not carry the key owner's signature: not applied");
        }

        await using var connection = await dataSource.OpenConnectionAsync(context.CancellationToken);
        await RevokeAsync(connection, null, context.Message, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<ApiKeyHeartbeat> context)
    {
        var heartbeat = context.Message;
        if (!verifier.IsValid(heartbeat))
        {
            throw new UntrustedKeyEventException("ApiKeyHeartbeat does not carry the key owner's signature: not stored");
        }

        await using var connection = await dataSource.OpenConnectionAsync(context.CancellationToken);
        await using var tx = await connection.BeginTransactionAsync(context.CancellationToken);
        foreach (var revoked in heartbeat.RecentRevocations)
        {
            await RevokeAsync(connection, tx, revoked, context.CancellationToken);
        }

        // Note: clamped to this database's clock, the one the freshness check reads: a heartbeat dated in the future
        // would otherwise keep this replica "fresh" (GREATEST keeps the newest) long after the owner fell silent.
        await using (var beat = new NpgsqlCommand(
            $"""
            INSERT INTO {replica.Schema}.api_key_heartbeat (id, published_at) VALUES (1, LEAST(@at, now()))
            ON CONFLICT (id) DO UPDATE SET published_at = GREATEST({replica.Schema}.api_key_heartbeat.published_at, EXCLUDED.published_at)
            """, connection, tx))
        {
            beat.Parameters.AddWithValue("at", heartbeat.OccurredAt);
            await beat.ExecuteNonQueryAsync(context.CancellationToken);
        }

        await tx.CommitAsync(context.CancellationToken);
    }

    private async Task RevokeAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, ApiKeyRevoked revoked, CancellationToken cancellationToken)
    {
        // Note: a key already revoked is left alone (the WHERE), so a heartbeat repeating the day's revocations
        // every second writes nothing.
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO {replica.Schema}.api_keys (key_id, user_id, user_name, role, key_hash, issued_at, revoked_at)
            VALUES (@keyId, @userId, '', '', 'revoked:' || @keyId::text, @at, @at)
            ON CONFLICT (key_id) DO UPDATE SET revoked_at = EXCLUDED.revoked_at WHERE {replica.Schema}.api_keys.revoked_at IS NULL
            """, connection, tx);
        command.Parameters.AddWithValue("keyId", revoked.KeyId);
        command.Parameters.AddWithValue("userId", revoked.UserId);
        command.Parameters.AddWithValue("at", revoked.OccurredAt);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
