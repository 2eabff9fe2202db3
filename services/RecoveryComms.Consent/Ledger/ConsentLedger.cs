using System.Globalization;
using System.Security.Cryptography;
using System.Text;

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
/// The consent ledger's chain rule. <c>consent.consent_events</c> is append-only and hash-chained: each row's hash is
/// SHA-256 over the previous row's hash and the row's canonical content. <see cref="ConsentStore"/> appends the rows
/// (taking the chain head's row lock, so the chain stays a line however many appends run at once); the table's
/// triggers refuse UPDATE, DELETE and TRUNCATE.
/// </summary>
public static class ConsentLedger
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The canonical form new rows are hashed in (see <see cref="HashOf"/>).</summary>
    public const int CurrentVersion = 2;

    /// <summary>The columns of <c>consent.consent_events</c> as a <see cref="ConsentEvent"/> reads them (by alias).</summary>
    public const string SelectColumns = """
        id, phone, channel, old_state AS OldState, new_state AS NewState, source, source_ref AS SourceRef, actor, evidence,
        needs_review AS NeedsReview, occurred_at AS OccurredAt, prev_hash AS PrevHash, hash, canonical_version AS CanonicalVersion
        """;

    /// <summary>The row that follows the head (<paramref name="lastId"/>, <paramref name="lastHash"/>) with this entry, hashed.</summary>
    public static ConsentEvent NextRow(LedgerEntry entry, long lastId, string lastHash)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // Note: PostgreSQL keeps microseconds; the hash is computed over exactly what is stored.
        var at = entry.OccurredAt.UtcDateTime;
        at = new DateTime(at.Ticks - (at.Ticks % 10), DateTimeKind.Utc);
        var row = new ConsentEvent(lastId + 1, entry.Phone, entry.Channel, entry.OldState, entry.NewState, entry.Source, entry.SourceRef,
            entry.Actor, entry.Evidence, entry.NeedsReview, at, lastHash, "", CurrentVersion);
        return row with { Hash = HashOf(row) };
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
