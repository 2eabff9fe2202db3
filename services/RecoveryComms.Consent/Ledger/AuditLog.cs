using System.Security.Claims;
using Dapper;
using Npgsql;

namespace RecoveryComms.Consent.Ledger;

/// <summary>Owns <c>consent.audit_reads</c> (the only class that writes it): every read of the audit API, with its reader.</summary>
public sealed class AuditLog(NpgsqlDataSource dataSource, TimeProvider time)
{
    public async Task RecordAsync(ClaimsPrincipal reader, HttpRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(request);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO consent.audit_reads (reader_id, reader_name, route, query, read_at) VALUES (@Id, @Name, @Route, @Query, @At)",
            new
            {
                Id = reader.FindFirstValue(ClaimTypes.NameIdentifier) ?? "",
                Name = reader.Identity?.Name ?? "",
                Route = request.Path.Value ?? "",
                Query = request.QueryString.Value ?? "",
                At = time.GetUtcNow(),
            }, cancellationToken: ct));
    }
}
