using Dapper;
using Npgsql;

namespace RecoveryComms.Orchestrator.Actions;

/// <summary>A disposition's reason code with its label (<c>GET /api/dispositions</c>).</summary>
public sealed record CodeLabel(string Code, string Label);

/// <summary><c>orchestrator.disposition_reasons</c>: the built-in reasons and those a manager added. Its one writer.</summary>
public sealed class DispositionReasons(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<CodeLabel>> ListAsync(CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return (await c.QueryAsync<CodeLabel>(new CommandDefinition(
            "SELECT code, label FROM orchestrator.disposition_reasons ORDER BY built_in DESC, code", cancellationToken: ct))).AsList();
    }

    public async Task<bool> ExistsAsync(string code, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM orchestrator.disposition_reasons WHERE code = @Code)", new { Code = code }, cancellationToken: ct));
    }

    /// <summary>Adds a manager's reason; false when the code exists already.</summary>
    public async Task<bool> AddAsync(string code, string label, string by, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO orchestrator.disposition_reasons (code, label, created_by) VALUES (@Code, @Label, @By) ON CONFLICT (code) DO NOTHING",
            new { Code = code, Label = label, By = by }, cancellationToken: ct)) == 1;
    }
}
