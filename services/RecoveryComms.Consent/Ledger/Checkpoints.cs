using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Consent.Ledger;

/// <summary>A signed statement that the ledger's row <paramref name="EventId"/> had <paramref name="Hash"/>.</summary>
/// <param name="Id">The checkpoint's own number.</param>
/// <param name="EventId">The head's row id when signed (0: the empty ledger).</param>
/// <param name="Hash">That row's hash.</param>
/// <param name="KeyId">Which key signed it (a fingerprint, not the key).</param>
/// <param name="Signature">HMAC-SHA256 (hex) of <see cref="CheckpointSigner.MessageOf"/> under the key.</param>
/// <param name="CreatedAt">When it was signed (informational: not covered by the signature).</param>
public sealed record Checkpoint(long Id, long EventId, string Hash, string KeyId, string Signature, DateTime CreatedAt);

/// <summary>
/// Signs checkpoints with <c>Consent:CheckpointKey</c>. The key lives in configuration (a secret store in
/// production), never in the database, so whoever controls the database cannot sign a checkpoint for a history
/// they rewrote. Outside Development the service refuses to start without one.
/// </summary>
public sealed class CheckpointSigner
{
    /// <summary>The key Development uses when none is configured: public, so worthless outside a developer's machine.</summary>
    public const string DevelopmentKey = "recoverycomms-development-checkpoint-key-not-a-secret";

    private readonly byte[] _key;

    public CheckpointSigner(IOptions<ConsentOptions> options, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        var configured = options.Value.CheckpointKey;
        var key = !string.IsNullOrEmpty(configured) ? configured
            : environment.IsDevelopment() ? DevelopmentKey
            : throw new InvalidOperationException(CheckpointKeyValidation.Missing);
        _key = Encoding.UTF8.GetBytes(key);
        KeyId = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("recoverycomms/checkpoint-key-id;" + key)))[..16];
    }

    /// <summary>A fingerprint of the key, stored with each checkpoint so a rotation is visible.</summary>
    public string KeyId { get; }

    /// <summary>What is signed: the version of this format, the row id and its hash.</summary>
    public static byte[] MessageOf(long eventId, string hash) =>
        Encoding.UTF8.GetBytes($"recoverycomms/consent-ledger-checkpoint/1;{eventId.ToString(CultureInfo.InvariantCulture)};{hash}");

    public string Sign(long eventId, string hash) => Convert.ToHexStringLower(HMACSHA256.HashData(_key, MessageOf(eventId, hash)));

    /// <summary>Whether <paramref name="signature"/> was made with this key for exactly this row and hash.</summary>
    public bool IsValid(long eventId, string hash, string signature)
    {
        byte[] given;
        try
        {
            given = Convert.FromHexString(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(given, HMACSHA256.HashData(_key, MessageOf(eventId, hash)));
    }
}

/// <summary>Refuses to start outside Development without a checkpoint key, or with a short one.</summary>
public sealed class CheckpointKeyValidation(IHostEnvironment environment) : IValidateOptions<ConsentOptions>
{
    public const string Missing =
        "Consent:CheckpointKey (Consent__CheckpointKey) is required outside Development: a secret of at least 32 characters, kept out of the database, that signs the ledger's checkpoints.";

    public ValidateOptionsResult Validate(string? name, ConsentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.CheckpointKey))
        {
            return environment.IsDevelopment() ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(Missing);
        }

        return options.CheckpointKey.Length < 32
            ? ValidateOptionsResult.Fail("Consent:CheckpointKey must be at least 32 characters.")
            : ValidateOptionsResult.Success;
    }
}

/// <summary><c>consent.ledger_checkpoints</c>: signs the ledger's head and keeps the signatures.</summary>
public sealed class CheckpointStore(NpgsqlDataSource dataSource, CheckpointSigner signer, TimeProvider time)
{
    private const string Columns = "id, event_id AS EventId, hash, key_id AS KeyId, signature, created_at AS CreatedAt";

    // Note: the head row is read with the head's hash in one statement, so what is signed is a row that exists
    // with that hash (a head that disagrees with its row is not signed: verify says why).
    private const string HeadSql = """
        SELECT h.last_id AS EventId, h.last_hash AS Hash,
               (h.last_id = 0 AND h.last_hash = repeat('0', 64)) OR EXISTS (SELECT 1 FROM consent.consent_events e WHERE e.id = h.last_id AND e.hash = h.last_hash) AS Consistent
        FROM consent.ledger_head h WHERE h.id = 1
        """;

    private const string InsertSql = $"""
        INSERT INTO consent.ledger_checkpoints (event_id, hash, key_id, signature, created_at) VALUES (@EventId, @Hash, @KeyId, @Signature, @At)
        ON CONFLICT (event_id) DO NOTHING RETURNING {Columns}
        """;

    private const string ByEventSql = $"SELECT {Columns} FROM consent.ledger_checkpoints WHERE event_id = @EventId";
    private const string ListSql = $"SELECT {Columns} FROM consent.ledger_checkpoints ORDER BY event_id";
    private const string NewestSql = "SELECT max(event_id) FROM consent.ledger_checkpoints";

    private sealed record Head(long EventId, string Hash, bool Consistent);

    /// <summary>Signs the current head (or answers the checkpoint already signed at it); null when the head disagrees with its row.</summary>
    public async Task<Checkpoint?> CreateAsync(CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var head = await c.QuerySingleAsync<Head>(new CommandDefinition(HeadSql, cancellationToken: ct));
        if (!head.Consistent)
        {
            return null;
        }

        return await c.QuerySingleOrDefaultAsync<Checkpoint>(new CommandDefinition(InsertSql, new
        {
            head.EventId, head.Hash, signer.KeyId, Signature = signer.Sign(head.EventId, head.Hash), At = time.GetUtcNow(),
        }, cancellationToken: ct))
            ?? await c.QuerySingleAsync<Checkpoint>(new CommandDefinition(ByEventSql, new { head.EventId }, cancellationToken: ct));
    }

    /// <summary>Signs the head if it moved since the newest checkpoint; null when there was nothing new.</summary>
    public async Task<Checkpoint?> CreateIfHeadMovedAsync(CancellationToken ct)
    {
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            var head = await c.QuerySingleAsync<Head>(new CommandDefinition(HeadSql, cancellationToken: ct));
            var newest = await c.ExecuteScalarAsync<long?>(new CommandDefinition(NewestSql, cancellationToken: ct));
            if (head.EventId == 0 || head.EventId == newest)
            {
                return null;
            }
        }

        return await CreateAsync(ct);
    }

    public async Task<IReadOnlyList<Checkpoint>> ListAsync(CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return (await c.QueryAsync<Checkpoint>(new CommandDefinition(ListSql, cancellationToken: ct))).AsList();
    }

    /// <summary>Every stored checkpoint, on the caller's connection (verify reads them in its snapshot).</summary>
    public static async Task<IReadOnlyList<Checkpoint>> ListAsync(NpgsqlConnection c, NpgsqlTransaction tx, CancellationToken ct) =>
        (await c.QueryAsync<Checkpoint>(new CommandDefinition(ListSql, transaction: tx, cancellationToken: ct))).AsList();
}

/// <summary>Whether the checkpoint writer keeps up; drives its health check.</summary>
public sealed class CheckpointWriterState
{
    public DateTimeOffset? FailingSince { get; internal set; }
}

/// <summary>Signs the head every <see cref="ConsentOptions.CheckpointEvery"/> when it moved. Replicas share the work: one checkpoint per head.</summary>
public sealed partial class CheckpointWriter(
    CheckpointStore store, CheckpointWriterState state, MigrationState migrations, IOptions<ConsentOptions> options, TimeProvider time,
    ILogger<CheckpointWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!migrations.Done)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), stoppingToken);
        }

        var backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.CheckpointEvery, time, stoppingToken);
                if (await store.CreateIfHeadMovedAsync(stoppingToken) is { } checkpoint)
                {
                    LogSigned(checkpoint.EventId, checkpoint.KeyId);
                }

                state.FailingSince = null;
                backoff = TimeSpan.FromSeconds(1);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                state.FailingSince ??= TimeProvider.System.GetUtcNow();
                LogFailed(e, backoff);
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 60_000));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Signed a ledger checkpoint at event {EventId} (key {KeyId})")]
    private partial void LogSigned(long eventId, string keyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not sign a ledger checkpoint; retrying in {Backoff}")]
    private partial void LogFailed(Exception e, TimeSpan backoff);
}

/// <summary>Degraded while the checkpoint writer fails; red once it has failed for longer than two intervals.</summary>
public sealed class CheckpointWriterHealthCheck(CheckpointWriterState state, IOptions<ConsentOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (state.FailingSince is not { } since)
        {
            return Task.FromResult(HealthCheckResult.Healthy());
        }

        var failingFor = TimeProvider.System.GetUtcNow() - since;
        return Task.FromResult(failingFor > options.Value.CheckpointEvery * 2 && failingFor > TimeSpan.FromMinutes(1)
            ? HealthCheckResult.Unhealthy($"ledger checkpoints have failed for {failingFor}")
            : HealthCheckResult.Degraded($"ledger checkpoints failing since {since:O}"));
    }
}

public static class LedgerServiceCollectionExtensions
{
    /// <summary>Checkpoint signing (key checked at start-up), the store, the periodic writer and its health check.</summary>
    public static IServiceCollection AddLedgerCheckpoints(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<ConsentOptions>, CheckpointKeyValidation>();
        services.AddSingleton<CheckpointSigner>();
        services.AddSingleton<CheckpointStore>();
        services.AddSingleton<CheckpointWriterState>();
        services.AddHostedService<CheckpointWriter>();
        services.AddHealthChecks().AddCheck<CheckpointWriterHealthCheck>("ledger-checkpoints", tags: ["ready"]);
        return services;
    }
}
