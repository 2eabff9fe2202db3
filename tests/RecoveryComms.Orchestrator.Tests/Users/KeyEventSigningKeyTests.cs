using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Users;

// Outside Development the orchestrator needs a key-event signing key of its own.
public sealed class KeyEventSigningKeyTests
{
    [Fact]
    public async Task Startup_InProductionWithoutASigningKey_IsRefused()
    {
        await using var database = await TestDatabase.CreateAsync();
        var rabbit = await TestInfrastructure.RabbitMqAsync();
        await using var factory = new WebApplicationFactory<OrchestratorEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Production");
            web.UseTestInfrastructure(database.ConnectionString, rabbit, $"t{Guid.NewGuid():N}"[..12] + "-");
            web.UseSetting("Twilio:AccountSid", "AC00000000000000000000000000000001");
            web.UseSetting("Twilio:AuthToken", "test-auth-token");
        });

        var e = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains(KeyEventKeyValidation.MissingSigningKey, Messages(e), StringComparison.Ordinal);
    }

    private static string Messages(Exception e) => e switch
    {
        AggregateException all => string.Join(" | ", all.InnerExceptions.Select(Messages)),
        { InnerException: { } inner } => e.Message + " | " + Messages(inner),
        _ => e.Message,
    };
}
