using Npgsql;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>
/// Owns <c>webhooks.benchmark_baseline</c> (the only class with its SQL): the one INSERT of the load test's yardstick
/// (<see cref="BaselineEndpoint"/>). The table is not part of the schema; the load tool creates it.
/// </summary>
public static class BaselineStore
{
    private const string InsertSql = "INSERT INTO webhooks.benchmark_baseline (body) VALUES (@body)";

    public static async Task InsertAsync(NpgsqlDataSource dataSource, string body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(InsertSql);
        command.Parameters.AddWithValue("body", body);
        await command.ExecuteNonQueryAsync(ct);
    }
}
