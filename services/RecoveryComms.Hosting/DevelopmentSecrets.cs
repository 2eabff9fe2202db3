using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace RecoveryComms.Hosting;

/// <summary>
/// Outside Development a service refuses to start with a secret everyone knows (the development defaults of dev.sh and
/// the docs), as a PostgreSQL superuser, or holding the schemas' owner's credentials (docs/security.md).
/// <c>RecoveryComms:AllowDevelopmentSecrets=true</c> lifts it for the local dev stack (infra/dev.sh) and tests only.
/// </summary>
public static class DevelopmentSecrets
{
    /// <summary>Values printed in this repository's scripts and docs: public, so never a secret.</summary>
    public static readonly IReadOnlyDictionary<string, string> Known = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Twilio:AuthToken"] = "dev-auth-token",
        ["Auth:BootstrapAdminKey"] = "dev-bootstrap-admin-key",
        ["Consent:CheckpointKey"] = "recoverycomms-development-checkpoint-key-not-a-secret",
    };

    /// <summary>What is wrong, one line each; empty when the service may start.</summary>
    public static IReadOnlyList<string> Problems(IConfiguration configuration, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.IsDevelopment() || configuration.GetValue<bool>("RecoveryComms:AllowDevelopmentSecrets"))
        {
            return [];
        }

        var problems = Known.Where(k => configuration[k.Key] == k.Value)
            .Select(k => $"{k.Key} holds the public development value '{k.Value}': set a secret of your own ({k.Key.Replace(":", "__", StringComparison.Ordinal)}).")
            .ToList();
        if (configuration.GetConnectionString("Postgres") is { Length: > 0 } login)
        {
            var user = new NpgsqlConnectionStringBuilder(login).Username;
            if (string.Equals(user, "postgres", StringComparison.Ordinal))
            {
                problems.Add("ConnectionStrings:Postgres logs in as the superuser postgres: give the service its own login (docs/security.md).");
            }
        }

        if (!string.IsNullOrEmpty(configuration.GetConnectionString("PostgresMigrations")) && !configuration.GetValue<bool>("Postgres:MigrateOnStart"))
        {
            problems.Add("ConnectionStrings:PostgresMigrations is set in a running service: the owner's credentials belong to the migrate step only (dotnet <service>.dll migrate).");
        }

        return problems;
    }

    /// <summary>Throws with every problem at once, so an operator fixes them in one go.</summary>
    public static void Check(IConfiguration configuration, IHostEnvironment environment)
    {
        if (Problems(configuration, environment) is { Count: > 0 } problems)
        {
            throw new InvalidOperationException("Refusing to start outside Development: " + string.Join(" ", problems));
        }
    }
}
