using System.Net.Sockets;
using Npgsql;

namespace RecoveryComms.Hosting.Data;

public static class DatabaseErrors
{
    /// <summary>
    /// True when PostgreSQL cannot be reached or is not ready (connection refused or lost, shutting down,
    /// out of connections, schema not migrated yet): worth parking the work and retrying. A SQL error of our
    /// own is not: it must surface, not be retried forever.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)
            || pg.SqlState.StartsWith("53", StringComparison.Ordinal)
            || pg.SqlState.StartsWith("57P", StringComparison.Ordinal)
            || pg.SqlState == PostgresErrorCodes.UndefinedTable,
        NpgsqlException => true,
        TimeoutException or SocketException => true,
        _ => false,
    };
}
