using System.Globalization;
using Dapper;
using Npgsql;

namespace RecoveryComms.Consent.Suppression;

/// <summary>
/// Owns <c>consent.quiet_hours</c> (the only class with its SQL): the shop's state windows, which
/// <see cref="QuietHours"/> reads and the admin endpoints list and set.
/// </summary>
/// <remarks>
/// Static, like <see cref="Sending.SmsSendStore"/>: <see cref="QuietHours"/> reads on the caller's connection (the send
/// gate's, inside its transaction), the endpoints on a connection of their own.
/// </remarks>
public static class QuietHoursStore
{
    private const string WindowsSql = "SELECT region, opens_at AS OpensAt, closes_at AS ClosesAt FROM consent.quiet_hours";

    private const string ListSql = WindowsSql + " ORDER BY region";

    private const string UpsertSql = """
        INSERT INTO consent.quiet_hours (region, opens_at, closes_at, source_note) VALUES (@Region, @Opens::time, @Closes::time, @Note)
        ON CONFLICT (region) DO UPDATE SET opens_at = EXCLUDED.opens_at, closes_at = EXCLUDED.closes_at, source_note = EXCLUDED.source_note
        """;

    /// <summary>Every window as stored, on the caller's connection.</summary>
    public static Task<IEnumerable<QuietWindow>> WindowsAsync(NpgsqlConnection c, NpgsqlTransaction? tx, CancellationToken ct) =>
        c.QueryAsync<QuietWindow>(new CommandDefinition(WindowsSql, transaction: tx, cancellationToken: ct));

    /// <summary>Every window as stored, by region.</summary>
    public static async Task<QuietWindow[]> ListAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return (await c.QueryAsync<QuietWindow>(new CommandDefinition(ListSql, cancellationToken: ct))).ToArray();
    }

    /// <summary>Sets a region's window (to the minute), with the note naming its rule.</summary>
    public static async Task SetAsync(NpgsqlDataSource dataSource, QuietWindow window, string? sourceNote, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(window);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(UpsertSql, new
        {
            window.Region,
            Opens = window.OpensAt.ToString("HH:mm", CultureInfo.InvariantCulture),
            Closes = window.ClosesAt.ToString("HH:mm", CultureInfo.InvariantCulture),
            Note = sourceNote,
        }, cancellationToken: ct));
    }
}
