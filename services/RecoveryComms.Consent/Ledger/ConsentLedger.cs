using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace RecoveryComms.Consent.Ledger;

/// <summary>One row of the consent ledger.</summary>
public sealed record ConsentEvent(
    long Id,
    string Phone,
    string Channel,
    string OldState,
    string NewState,
    string Source,
    string? SourceRef,
    string Actor,
    string Evidence,
    bool NeedsReview,
    DateTime OccurredAt,
    string PrevHash,
    string Hash);

/// <summary>A change to append.</summary>
public sealed record ConsentChange(
    string Phone, string Channel, string OldState, string NewState, string Source, string? SourceRef, string Actor, string Evidence, bool NeedsReview, DateTimeOffset OccurredAt);

/// <summary>
/// <c>consent.consent_events</c>: append-only and hash-chained. Each row's hash is SHA-256 over the previous
/// row's hash and the row's canonical content; appends take the chain head's row lock so the chain stays a
/// line however many appends run at once. The table's triggers refuse UPDATE, DELETE and TRUNCATE.
/// </summary>
public static class ConsentLedger
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    private const string HeadSql = "SELECT last_id, last_hash FROM consent.ledger_head WHERE id = 1 FOR UPDATE";

    private const string InsertSql = """
        INSERT INTO consent.consent_events
            (id, phone, channel, old_state, new_state, source, source_ref, actor, evidence, needs_review, occurred_at, prev_hash, hash)
        VALUES (@Id, @Phone, @Channel, @OldState, @NewState, @Source, @SourceRef, @Actor, @Evidence, @NeedsReview, @OccurredAt, @PrevHash, @Hash)
        """;

    private const string MoveHeadSql = "UPDATE consent.ledger_head SET last_id = @Id, last_hash = @Hash WHERE id = 1";

    public const string SelectColumns = """
        id, phone, channel, old_state AS OldState, new_state AS NewState, source, source_ref AS SourceRef, actor, evidence,
        needs_review AS NeedsReview, occurred_at AS OccurredAt, prev_hash AS PrevHash, hash
        """;

    /// <summary>Appends inside the caller's transaction; returns the row's id.</summary>
    public static async Task<long> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ConsentChange change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        var (lastId, lastHash) = await connection.QuerySingleAsync<(long, string)>(new CommandDefinition(HeadSql, transaction: tx, cancellationToken: ct));
        // Note: PostgreSQL keeps microseconds; the hash is computed over exactly what is stored.
        var at = change.OccurredAt.UtcDateTime;
        at = new DateTime(at.Ticks - (at.Ticks % 10), DateTimeKind.Utc);
        var row = new ConsentEvent(lastId + 1, change.Phone, change.Channel, change.OldState, change.NewState, change.Source, change.SourceRef,
            change.Actor, change.Evidence, change.NeedsReview, at, lastHash, "");
        row = row with { Hash = HashOf(row) };
        await connection.ExecuteAsync(new CommandDefinition(InsertSql, row, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(MoveHeadSql, new { row.Id, row.Hash }, tx, cancellationToken: ct));
        return row.Id;
    }

    /// <summary>SHA-256 (hex) over the previous hash and the canonical content of the row.</summary>
    public static string HashOf(ConsentEvent row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var canonical = string.Join('\u001f',
            row.PrevHash,
            row.Id.ToString(CultureInfo.InvariantCulture),
            row.Phone, row.Channel, row.OldState, row.NewState, row.Source, row.SourceRef ?? "", row.Actor, row.Evidence,
            row.NeedsReview ? "1" : "0",
            DateTime.SpecifyKind(row.OccurredAt, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>Recomputes the chain from the first row; returns the number of rows and the first broken one.</summary>
    public static async Task<(long Events, long? FirstBroken)> VerifyAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var previous = Genesis;
        var expectedId = 1L;
        var count = 0L;
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            $"SELECT {SelectColumns} FROM consent.consent_events ORDER BY id", cancellationToken: ct, flags: CommandFlags.None));
        var parser = reader.GetRowParser<ConsentEvent>();
        while (await reader.ReadAsync(ct))
        {
            var row = parser(reader);
            count++;
            if (row.Id != expectedId || row.PrevHash != previous || HashOf(row) != row.Hash)
            {
                return (count, row.Id);
            }

            previous = row.Hash;
            expectedId++;
        }

        return (count, null);
    }
}
