using Dapper;
using Npgsql;
using RecoveryComms.Contracts.Identity;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Messaging;

namespace RecoveryComms.Orchestrator.Users;

public sealed record User(Guid Id, string Name, string Role, string? Phone, DateTime CreatedAt);

public sealed record IssuedKey(Guid KeyId, string ApiKey);

/// <summary>
/// Owns <c>orchestrator.users</c>, <c>orchestrator.api_keys</c> and <c>orchestrator.bootstrap_key_retired</c> (the only
/// class that writes them; other stores read users' names, roles and phones in their own joins). Every issue and revocation is published through
/// the outbox in the same transaction, so the other services' copies can never miss one, and signed with the key
/// only the orchestrator holds, so they act on no event anyone else published (<see cref="KeyEventSigner"/>).
/// </summary>
public sealed class UserStore(NpgsqlDataSource dataSource, Outbox outbox, ApiKeyCache keyCache, KeyEventSigner signer, TimeProvider time)
{
    /// <summary>NOTIFYd (no payload) by every revocation at its commit: the live feed checks its streams' keys.</summary>
    public const string KeysChannel = "orchestrator_keys";

    private const string NotifyKeysSql = $"SELECT pg_notify('{KeysChannel}', '')";

    private const string LiveKeysSql = """
        SELECT key_hash FROM orchestrator.api_keys WHERE key_hash = ANY(@Hashes) AND revoked_at IS NULL
        """;

    // Note: every user the bootstrap key creates is created under this lock, so two of its requests at once take
    // turns: the second sees the retirement the first committed.
    private const string BootstrapLockSql = "SELECT pg_advisory_xact_lock(hashtext('orchestrator.bootstrap_key'))";

    private const string BootstrapRetiredSql = "SELECT EXISTS (SELECT 1 FROM orchestrator.bootstrap_key_retired)";

    private const string RetireBootstrapSql = """
        INSERT INTO orchestrator.bootstrap_key_retired (id, retired_at, first_admin_id) VALUES (1, @At, @UserId)
        ON CONFLICT (id) DO NOTHING
        """;

    private const string FirstStaffSql = """
        SELECT id FROM orchestrator.users WHERE role IN ('csr', 'manager')
        ORDER BY CASE role WHEN 'csr' THEN 0 ELSE 1 END, created_at, id LIMIT @Count
        """;

    private const string OwnersSql = """
        SELECT count(*) FROM orchestrator.users WHERE id = ANY(@Ids) AND role IN ('csr', 'manager', 'admin')
        """;

    private const string InsertUserSql = """
        INSERT INTO orchestrator.users (id, name, role, phone, created_at, created_by)
        VALUES (@Id, @Name, @Role, @Phone, @CreatedAt, @CreatedBy)
        """;

    private const string InsertKeySql = """
        INSERT INTO orchestrator.api_keys (key_id, user_id, user_name, role, key_hash, issued_at)
        VALUES (@KeyId, @UserId, @UserName, @Role, @KeyHash, @IssuedAt)
        """;

    private const string RevokeKeysSql = """
        UPDATE orchestrator.api_keys SET revoked_at = @At
        WHERE user_id = @UserId AND revoked_at IS NULL AND (@KeyId IS NULL OR key_id = @KeyId)
        RETURNING key_id AS KeyId, key_hash AS KeyHash
        """;

    private const string UserSql = """
        SELECT id, name, role, phone, created_at AS CreatedAt FROM orchestrator.users WHERE id = @Id FOR UPDATE
        """;

    private const string NameSql = "SELECT name FROM orchestrator.users WHERE id = @Id";

    private const string UsersSql = """
        SELECT id, name, role, phone, created_at AS CreatedAt FROM orchestrator.users ORDER BY name, id
        """;

    /// <summary>
    /// Creates a user and its first key. For the bootstrap key (<paramref name="byBootstrapKey"/>) null once the
    /// bootstrap key is retired. Creating an admin retires the bootstrap key for good, whoever creates it.
    /// </summary>
    public async Task<(User User, IssuedKey Key)?> CreateAsync(string name, string role, string? phone, string createdBy, bool byBootstrapKey, CancellationToken ct)
    {
        var user = new User(Guid.NewGuid(), name, role, phone, time.GetUtcNow().UtcDateTime);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (byBootstrapKey)
        {
            await connection.ExecuteAsync(new CommandDefinition(BootstrapLockSql, transaction: tx, cancellationToken: ct));
            if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(BootstrapRetiredSql, transaction: tx, cancellationToken: ct)))
            {
                return null;
            }
        }

        await connection.ExecuteAsync(new CommandDefinition(InsertUserSql, new { user.Id, user.Name, user.Role, user.Phone, user.CreatedAt, CreatedBy = createdBy }, tx, cancellationToken: ct));
        var key = await IssueAsync(connection, tx, user, ct);
        if (role == Roles.Admin)
        {
            await connection.ExecuteAsync(new CommandDefinition(RetireBootstrapSql, new { At = time.GetUtcNow(), UserId = user.Id }, tx, cancellationToken: ct));
        }

        await tx.CommitAsync(ct);
        return (user, key);
    }

    /// <summary>Which of <paramref name="hashes"/> belong to keys that are not revoked.</summary>
    public static async Task<IReadOnlyList<string>> LiveKeyHashesAsync(NpgsqlConnection connection, string[] hashes, CancellationToken ct) =>
        (await connection.QueryAsync<string>(new CommandDefinition(LiveKeysSql, new { Hashes = hashes }, cancellationToken: ct))).AsList();

    /// <summary>A user's name, on the caller's connection; null when there is no such user.</summary>
    public static Task<string?> NameAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, Guid userId, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(NameSql, new { Id = userId }, tx, cancellationToken: ct));

    /// <summary>Whether every one of <paramref name="userIds"/> is a user who may own recovery items (a CSR, manager or admin).</summary>
    public async Task<bool> CanOwnItemsAsync(IReadOnlyCollection<Guid> userIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var distinct = userIds.Distinct().ToArray();
        var owners = await connection.QuerySingleAsync<long>(new CommandDefinition(OwnersSql, new { Ids = distinct }, cancellationToken: ct));
        return owners == distinct.Length;
    }

    /// <summary>The first <paramref name="count"/> staff members who own items day to day: CSRs, then managers, oldest first.</summary>
    public static async Task<IReadOnlyList<Guid>> FirstStaffAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, int count, CancellationToken ct) =>
        (await connection.QueryAsync<Guid>(new CommandDefinition(FirstStaffSql, new { Count = count }, tx, cancellationToken: ct))).AsList();

    public async Task<IReadOnlyList<User>> ListAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<User>(new CommandDefinition(UsersSql, cancellationToken: ct))).AsList();
    }

    /// <summary>Issues a new key and revokes every earlier one; null when the user does not exist.</summary>
    public async Task<IssuedKey?> RotateAsync(Guid userId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var user = await connection.QuerySingleOrDefaultAsync<User>(new CommandDefinition(UserSql, new { Id = userId }, tx, cancellationToken: ct));
        if (user is null)
        {
            return null;
        }

        var revoked = await RevokeAsync(connection, tx, userId, keyId: null, ct);
        var key = await IssueAsync(connection, tx, user, ct);
        await tx.CommitAsync(ct);
        Forget(revoked);
        return key;
    }

    /// <summary>Revokes one key of a user; false when there is no such live key.</summary>
    public async Task<bool> RevokeAsync(Guid userId, Guid keyId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var revoked = await RevokeAsync(connection, tx, userId, keyId, ct);
        await tx.CommitAsync(ct);
        Forget(revoked);
        return revoked.Count > 0;
    }

    private async Task<List<(Guid KeyId, string KeyHash)>> RevokeAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid userId, Guid? keyId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var revoked = (await connection.QueryAsync<(Guid KeyId, string KeyHash)>(new CommandDefinition(RevokeKeysSql, new { UserId = userId, KeyId = keyId, At = now }, tx, cancellationToken: ct))).AsList();
        foreach (var (id, _) in revoked)
        {
            await outbox.EnqueueAsync(connection, tx, signer.Sign(new ApiKeyRevoked(id, userId, now)), ct);
        }

        if (revoked.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(NotifyKeysSql, transaction: tx, cancellationToken: ct));
        }

        return revoked;
    }

    // Note: only after the commit. Forgotten earlier, a request in between reads the key as still live (the
    // revocation is not visible yet) and caches it again, so the revoked key would keep working for a cache lifetime.
    private void Forget(List<(Guid KeyId, string KeyHash)> revoked)
    {
        foreach (var (_, hash) in revoked)
        {
            keyCache.Forget(hash);
        }
    }

    private async Task<IssuedKey> IssueAsync(NpgsqlConnection connection, NpgsqlTransaction tx, User user, CancellationToken ct)
    {
        var apiKey = ApiKeys.NewKey();
        var keyId = Guid.NewGuid();
        var now = time.GetUtcNow();
        var hash = ApiKeys.Hash(apiKey);
        await connection.ExecuteAsync(new CommandDefinition(InsertKeySql, new
        {
            KeyId = keyId, UserId = user.Id, UserName = user.Name, user.Role, KeyHash = hash, IssuedAt = now,
        }, tx, cancellationToken: ct));
        await outbox.EnqueueAsync(connection, tx, signer.Sign(new ApiKeyIssued(keyId, user.Id, user.Name, user.Role, hash, now)), ct);
        return new IssuedKey(keyId, apiKey);
    }
}
