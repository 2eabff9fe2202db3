using System.Data;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Background;

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

/// <summary>What signing the head came to: the checkpoint, or why nothing was signed.</summary>
/// <param name="Checkpoint">The checkpoint at the head (new, or the one already signed there); null when refused.</param>
/// <param name="FirstBrokenEventId">The first row that does not hold since the previous checkpoint, when refused.</param>
/// <param name="Problems">What is wrong, in words (empty when signed).</param>
public sealed record CheckpointAttempt(Checkpoint? Checkpoint, long? FirstBrokenEventId, IReadOnlyList<string> Problems);

/// <summary>
/// Owns <c>consent.ledger_checkpoints</c> (the only class that writes it): signs the ledger's head and keeps the
/// signatures. It reads the ledger through <see cref="ConsentStore"/>.
/// </summary>
/// <remarks>
/// Note: a checkpoint vouches for every row up to its head, so the rows since the previous checkpoint are checked
/// (each hash over its content, each link, no gap, ending exactly at the head) before the head is signed. Without
/// that, a row changed after one checkpoint would be sealed by the next one, and an auditor's copy of it would
/// "prove" the forged history. A chain that does not hold is never signed: it is logged as critical, the caller
/// is told, and the writer's health check says why. Rows up to the previous checkpoint were checked when it was signed; only its own
/// row is checked again (still there, still with the signed hash).
/// </remarks>
public sealed partial class CheckpointStore(NpgsqlDataSource dataSource, CheckpointSigner signer, TimeProvider time, ILogger<CheckpointStore> logger)
{
    private const string Columns = "id, event_id AS EventId, hash, key_id AS KeyId, signature, created_at AS CreatedAt";

    // The newest few: the newest one this key signed is where the check starts (from row 1 when there is none).
    private const string RecentSql = $"SELECT {Columns} FROM consent.ledger_checkpoints ORDER BY event_id DESC LIMIT 50";

    private const string InsertSql = $"""
        INSERT INTO consent.ledger_checkpoints (event_id, hash, key_id, signature, created_at) VALUES (@EventId, @Hash, @KeyId, @Signature, @At)
        ON CONFLICT (event_id) DO NOTHING RETURNING {Columns}
        """;

    private const string ByEventSql = $"SELECT {Columns} FROM consent.ledger_checkpoints WHERE event_id = @EventId";
    private const string ListSql = $"SELECT {Columns} FROM consent.ledger_checkpoints ORDER BY event_id";
    private const string NewestSql = "SELECT max(event_id) FROM consent.ledger_checkpoints";

    /// <summary>Signs the current head (or answers the checkpoint already signed at it) once the chain since the previous checkpoint holds.</summary>
    public async Task<CheckpointAttempt> CreateAsync(CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        LedgerHeadView head;
        var problems = new List<string>();
        long? broken;
        // One snapshot for the head and the rows, so an append running meanwhile never looks like a break.
        await using (var tx = await c.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct))
        {
            head = await ConsentStore.HeadAsync(c, tx, ct);
            broken = await CheckSincePreviousAsync(c, tx, head, problems, ct);
            await tx.CommitAsync(ct);
        }

        if (broken is not null || problems.Count > 0)
        {
            var said = string.Join(" ", problems);
            LogRefused(broken, said);
            return new CheckpointAttempt(null, broken, problems);
        }

        // Note: inserted after the snapshot's commit: ON CONFLICT in a REPEATABLE READ transaction fails on a row another
        // replica committed meanwhile. The rows checked only grow, so what was checked still holds.
        var checkpoint = await c.QuerySingleOrDefaultAsync<Checkpoint>(new CommandDefinition(InsertSql, new
        {
            head.EventId, head.Hash, signer.KeyId, Signature = signer.Sign(head.EventId, head.Hash), At = time.GetUtcNow(),
        }, cancellationToken: ct))
            ?? await c.QuerySingleAsync<Checkpoint>(new CommandDefinition(ByEventSql, new { head.EventId }, cancellationToken: ct));
        return new CheckpointAttempt(checkpoint, null, []);
    }

    /// <summary>Signs the head if it moved since the newest checkpoint; null when there was nothing new.</summary>
    public async Task<CheckpointAttempt?> CreateIfHeadMovedAsync(CancellationToken ct)
    {
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            var head = await ConsentStore.HeadAsync(c, null, ct);
            var newest = await c.ExecuteScalarAsync<long?>(new CommandDefinition(NewestSql, cancellationToken: ct));
            if (head.EventId == 0 || head.EventId == newest)
            {
                return null;
            }
        }

        return await CreateAsync(ct);
    }

    /// <summary>The first row that breaks the chain between the previous checkpoint and the head, or null when it holds.</summary>
    private async Task<long?> CheckSincePreviousAsync(NpgsqlConnection c, NpgsqlTransaction tx, LedgerHeadView head, List<string> problems, CancellationToken ct)
    {
        var recent = await c.QueryAsync<Checkpoint>(new CommandDefinition(RecentSql, transaction: tx, cancellationToken: ct));
        var previous = recent.FirstOrDefault(k => k.KeyId == signer.KeyId && signer.IsValid(k.EventId, k.Hash, k.Signature));
        var (lastId, lastHash, sawVersion2) = (0L, ConsentLedger.Genesis, false);
        if (previous is not null)
        {
            if (previous.EventId > head.EventId)
            {
                problems.Add($"Checkpoint {previous.Id} signed event {previous.EventId}, but the head records event {head.EventId}: signed rows were removed.");
                return head.EventId + 1;
            }

            if (previous.EventId > 0)
            {
                var row = await ConsentStore.EventAsync(c, tx, previous.EventId, ct);
                if (row is null || row.CanonicalVersion is not (1 or 2) || row.Hash != previous.Hash || ConsentLedger.HashOf(row) != row.Hash)
                {
                    problems.Add($"Event {previous.EventId}, signed in checkpoint {previous.Id}, {(row is null ? "is missing" : "no longer has the signed hash or content")}.");
                    return previous.EventId;
                }

                (lastId, lastHash, sawVersion2) = (row.Id, row.Hash, row.CanonicalVersion >= 2);
            }
        }

        await foreach (var row in ConsentStore.EventsAfterAsync(c, tx, lastId, ct))
        {
            if (LedgerVerifier.Check(row, lastId, lastHash, sawVersion2, problems) is { } broken)
            {
                return broken;
            }

            (lastId, lastHash) = (row.Id, row.Hash);
            sawVersion2 |= row.CanonicalVersion >= 2;
        }

        return LedgerVerifier.CheckHead(head, lastId, lastHash, problems);
    }

    public async Task<IReadOnlyList<Checkpoint>> ListAsync(CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return (await c.QueryAsync<Checkpoint>(new CommandDefinition(ListSql, cancellationToken: ct))).AsList();
    }

    /// <summary>Every stored checkpoint, on the caller's connection (verify reads them in its snapshot).</summary>
    public static async Task<IReadOnlyList<Checkpoint>> ListAsync(NpgsqlConnection c, NpgsqlTransaction tx, CancellationToken ct) =>
        (await c.QueryAsync<Checkpoint>(new CommandDefinition(ListSql, transaction: tx, cancellationToken: ct))).AsList();

    [LoggerMessage(Level = LogLevel.Critical, Message = "The consent ledger's chain does not hold since the previous checkpoint (first broken event {FirstBrokenEventId}): no checkpoint was signed. {Problems}")]
    private partial void LogRefused(long? firstBrokenEventId, string problems);
}

/// <summary>
/// Signs the head every <see cref="ConsentOptions.CheckpointEvery"/> when it moved, the first time one interval after
/// start (once the migrations are done). Replicas share the work: one checkpoint per head. A step that fails
/// (PostgreSQL away) is tried again with the loops' back-off. Its readiness entry (<see cref="LoopName"/>) is
/// Degraded while the chain does not hold (nothing is signed) or while the writer fails, and red once it has failed
/// for longer than two intervals and longer than a minute.
/// </summary>
public sealed partial class CheckpointWriter(CheckpointStore store, IOptions<ConsentOptions> options, BackgroundLoops loops, ILogger<CheckpointWriter> logger)
    : BackgroundLoop(loops, new LoopSettings(LoopName, "Signing ledger checkpoints") { Idle = options.Value.CheckpointEvery, IdleFirst = true }, logger), IHealthCheck
{
    /// <summary>The writer's health and readiness name.</summary>
    public const string LoopName = "ledger-checkpoints";

    // Why the newest attempt refused to sign (the chain does not hold); null once one signs again.
    private volatile string? _refusal;

    protected override async Task<LoopStep> StepAsync(CancellationToken ct)
    {
        switch (await store.CreateIfHeadMovedAsync(ct))
        {
            case { Checkpoint: { } checkpoint }:
                LogSigned(checkpoint.EventId, checkpoint.KeyId);
                _refusal = null;
                break;
            case { } refused:
                // The store logged it (critical); the health check stays degraded until a checkpoint is signed again.
                _refusal = string.Join(" ", refused.Problems);
                break;
        }

        return LoopStep.Idle;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // Note: degraded, not red: readiness gates the send gate and every consent answer, and a broken chain is
        // evidence to investigate (the writer logs it as critical at every interval), not a reason to stop the
        // phones. It stays degraded until a checkpoint is signed again.
        if (_refusal is { } refusal)
        {
            return Task.FromResult(HealthCheckResult.Degraded("the consent ledger's chain does not hold; no checkpoint is signed: " + refusal));
        }

        var unhealthyAfter = options.Value.CheckpointEvery * 2 > TimeSpan.FromMinutes(1) ? options.Value.CheckpointEvery * 2 : TimeSpan.FromMinutes(1);
        return Task.FromResult(Health.Check(unhealthyAfter));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Signed a ledger checkpoint at event {EventId} (key {KeyId})")]
    private partial void LogSigned(long eventId, string keyId);
}

public static class LedgerServiceCollectionExtensions
{
    /// <summary>Checkpoint signing (key checked at start-up), the store, the periodic writer and its health check.</summary>
    public static IServiceCollection AddLedgerCheckpoints(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<ConsentOptions>, CheckpointKeyValidation>();
        services.AddSingleton<CheckpointSigner>();
        services.AddSingleton<CheckpointStore>();
        services.AddSingleton<CheckpointWriter>();
        services.AddHostedService(provider => provider.GetRequiredService<CheckpointWriter>());
        services.AddHealthChecks().AddCheck<CheckpointWriter>(CheckpointWriter.LoopName, tags: ["ready"]);
        return services;
    }
}
