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
    string Hash,
    int CanonicalVersion);

/// <summary>A row to append: everything but its place in the chain.</summary>
public sealed record LedgerEntry(
    string Phone, string Channel, string OldState, string NewState, string Source, string? SourceRef, string Actor, string Evidence, bool NeedsReview, DateTimeOffset OccurredAt);

/// <summary>
/// <c>consent.consent_events</c>: append-only and hash-chained. Each row's hash is SHA-256 over the previous
/// row's hash and the row's canonical content; appends take the chain head's row lock so the chain stays a
/// line however many appends run at once. The table's triggers refuse UPDATE, DELETE and TRUNCATE.
/// </summary>
public static class ConsentLedger
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The canonical form new rows are hashed in (see <see cref="HashOf"/>).</summary>
    public const int CurrentVersion = 2;

    private const string HeadSql = "SELECT last_id, last_hash FROM consent.ledger_head WHERE id = 1 FOR UPDATE";

    private const string InsertSql = """
        INSERT INTO consent.consent_events
            (id, phone, channel, old_state, new_state, source, source_ref, actor, evidence, needs_review, occurred_at, prev_hash, hash, canonical_version)
        VALUES (@Id, @Phone, @Channel, @OldState, @NewState, @Source, @SourceRef, @Actor, @Evidence, @NeedsReview, @OccurredAt, @PrevHash, @Hash, @CanonicalVersion)
        """;

    private const string MoveHeadSql = "UPDATE consent.ledger_head SET last_id = @Id, last_hash = @Hash WHERE id = 1";

    public const string SelectColumns = """
        id, phone, channel, old_state AS OldState, new_state AS NewState, source, source_ref AS SourceRef, actor, evidence,
        needs_review AS NeedsReview, occurred_at AS OccurredAt, prev_hash AS PrevHash, hash, canonical_version AS CanonicalVersion
        """;

    /// <summary>Appends inside the caller's transaction; returns the row's id.</summary>
    public static async Task<long> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction tx, LedgerEntry entry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var (lastId, lastHash) = await connection.QuerySingleAsync<(long, string)>(new CommandDefinition(HeadSql, transaction: tx, cancellationToken: ct));
        // Note: PostgreSQL keeps microseconds; the hash is computed over exactly what is stored.
        var at = entry.OccurredAt.UtcDateTime;
        at = new DateTime(at.Ticks - (at.Ticks % 10), DateTimeKind.Utc);
        var row = new ConsentEvent(lastId + 1, entry.Phone, entry.Channel, entry.OldState, entry.NewState, entry.Source, entry.SourceRef,
            entry.Actor, entry.Evidence, entry.NeedsReview, at, lastHash, "", CurrentVersion);
        row = row with { Hash = HashOf(row) };
        await connection.ExecuteAsync(new CommandDefinition(InsertSql, row, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(MoveHeadSql, new { row.Id, row.Hash }, tx, cancellationToken: ct));
        return row.Id;
    }

    /// <summary>SHA-256 (hex) over the previous hash and the canonical content of the row, in the row's own canonical version.</summary>
    public static string HashOf(ConsentEvent row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var canonical = row.CanonicalVersion switch
        {
            1 => CanonicalV1(row),
            2 => CanonicalV2(row),
            _ => throw new ArgumentOutOfRangeException(nameof(row), row.CanonicalVersion, "unknown canonical version"),
        };
        return Convert.ToHexStringLower(SHA256.HashData(canonical));
    }

    /// <summary>
    /// Version 1 (rows written before migration 0013): the fields joined with U+001F, null written as "". Kept only
    /// to verify those rows: text could move between fields, and null and "" hashed alike.
    /// </summary>
    private static byte[] CanonicalV1(ConsentEvent row) => Encoding.UTF8.GetBytes(string.Join('\u001f',
        row.PrevHash,
        row.Id.ToString(CultureInfo.InvariantCulture),
        row.Phone, row.Channel, row.OldState, row.NewState, row.Source, row.SourceRef ?? "", row.Actor, row.Evidence,
        row.NeedsReview ? "1" : "0",
        Time(row.OccurredAt)));

    /// <summary>
    /// Version 2: a tag naming the version, then every field as <c>&lt;UTF-8 byte length&gt;:&lt;bytes&gt;;</c> and a
    /// null as <c>-;</c>. Each field's extent is fixed by its length, so no text can move between fields, and null
    /// differs from "".
    /// </summary>
    private static byte[] CanonicalV2(ConsentEvent row)
    {
        var text = new StringBuilder("recoverycomms/consent-ledger/2;");
        foreach (var field in new[]
        {
            row.PrevHash, row.Id.ToString(CultureInfo.InvariantCulture), row.Phone, row.Channel, row.OldState, row.NewState, row.Source,
            row.SourceRef, row.Actor, row.Evidence, row.NeedsReview ? "1" : "0", Time(row.OccurredAt),
        })
        {
            if (field is null)
            {
                text.Append("-;");
            }
            else
            {
                text.Append(Encoding.UTF8.GetByteCount(field).ToString(CultureInfo.InvariantCulture)).Append(':').Append(field).Append(';');
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static string Time(DateTime at) =>
        DateTime.SpecifyKind(at, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
