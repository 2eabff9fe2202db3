using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Hosting.Auth;

/// <summary><c>Auth:BootstrapAdminKey</c> opens an empty system and is retired for good by the first admin.</summary>
public static class BootstrapKey
{
    /// <summary>The problem type (after <see cref="Problems.TypeBase"/>) of a 401 for a retired bootstrap key.</summary>
    public const string RetiredProblem = "bootstrap-key-retired";

    internal const string RetiredItem = "rc:bootstrap-retired";

    /// <summary>
    /// True once an admin has existed: <c>bootstrap_key_retired</c> holds its row from the first admin on (written with
    /// the admin, never removed), so revoking every admin's key does not bring the bootstrap key back. An admin holding
    /// a live key retires it too, for a schema migrated before that table.
    /// </summary>
    public static async Task<bool> RetiredAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(
            $"SELECT EXISTS (SELECT 1 FROM {schema}.bootstrap_key_retired) OR EXISTS (SELECT 1 FROM {schema}.api_keys WHERE role = @admin AND revoked_at IS NULL)");
        command.Parameters.AddWithValue("admin", Roles.Admin);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}

/// <summary>At start-up, a warning while the bootstrap key is still configured.</summary>
internal sealed partial class BootstrapKeyWarning(
    NpgsqlDataSource dataSource, KeyReplicaSchema keys, BackgroundLoops loops, ILogger<BootstrapKeyWarning> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogConfigured();
        await loops.MigratedAsync(stoppingToken);

        try
        {
            if (await BootstrapKey.RetiredAsync(dataSource, keys.Schema, stoppingToken))
            {
                LogRetired();
            }
        }
        catch (NpgsqlException)
        {
            // The configured-key warning above already stands; the database's answer only sharpens it.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auth:BootstrapAdminKey is configured: it may create users until an admin exists, and is refused after that. Remove it from the configuration once an admin exists.")]
    private partial void LogConfigured();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auth:BootstrapAdminKey is still configured although an admin has been created: the key is refused. Remove it from the configuration.")]
    private partial void LogRetired();
}
