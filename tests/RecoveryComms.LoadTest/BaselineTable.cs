using Npgsql;

namespace RecoveryComms.LoadTest;

/// <summary>
/// The table the webhooks service's baseline endpoint inserts into. It is not in the production migrations
/// (webhooks 0006 dropped it): the load tool creates it in the benchmark's database, as the schema's owner.
/// </summary>
public static class BaselineTable
{
    public const string CreateSql = """
        CREATE TABLE IF NOT EXISTS webhooks.benchmark_baseline (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            body        text        NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now()
        );
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'recoverycomms_app') THEN
                GRANT INSERT ON webhooks.benchmark_baseline TO recoverycomms_app;
            END IF;
        END $$;
        """;

    public static async Task CreateAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(CreateSql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
