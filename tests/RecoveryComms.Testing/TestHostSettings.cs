using System.Globalization;
using Microsoft.AspNetCore.Hosting;

namespace RecoveryComms.Testing;

/// <summary>The settings every service under test gets: quiet logs, its database, the shared broker under its own prefix.</summary>
public static class TestHostSettings
{
    public static IWebHostBuilder UseTestInfrastructure(this IWebHostBuilder web, string connectionString, Uri rabbit, string prefix)
    {
        ArgumentNullException.ThrowIfNull(web);
        ArgumentNullException.ThrowIfNull(rabbit);
        var credentials = Uri.UnescapeDataString(rabbit.UserInfo).Split(':');
        // Outage tests make services log every failed reconnect; only errors are worth a test log.
        web.UseSetting("Logging:LogLevel:Default", "Error");
        web.UseSetting("Logging:LogLevel:MassTransit", "Error");
        web.UseSetting("ConnectionStrings:Postgres", connectionString);
        // Note: a test host migrates its fresh database itself; deployed services never do (dotnet <service>.dll migrate).
        web.UseSetting("Postgres:MigrateOnStart", "true");
        // Note: test hosts log in as the test server's superuser and use public test secrets, in any environment.
        web.UseSetting("RecoveryComms:AllowDevelopmentSecrets", "true");
        web.UseSetting("RabbitMq:Host", rabbit.Host);
        web.UseSetting("RabbitMq:Port", rabbit.Port.ToString(CultureInfo.InvariantCulture));
        web.UseSetting("RabbitMq:Username", credentials[0]);
        web.UseSetting("RabbitMq:Password", credentials.Length > 1 ? credentials[1] : "");
        web.UseSetting("RabbitMq:EndpointPrefix", prefix);
        // Note: classic queues under test (RabbitMqOptions.QuorumQueues says why); the reliability tests use quorum queues.
        web.UseSetting("RabbitMq:QuorumQueues", "false");
        // Many hosts write API keys straight into a replica with no key owner running, so no heartbeat ever comes;
        // the tests of the freshness rule (KeyReplicaFreshnessTests) turn it back on.
        web.UseSetting("Auth:KeyReplicaMaxAge", "00:00:00");
        return web;
    }
}
