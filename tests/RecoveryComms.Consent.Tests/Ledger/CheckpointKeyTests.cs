using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests.Ledger;

public sealed class CheckpointKeyTests
{
    [Fact]
    public async Task Startup_InProductionWithoutACheckpointKey_IsRefused()
    {
        await using var database = await TestDatabase.CreateAsync();
        var rabbit = await TestInfrastructure.RabbitMqAsync();
        await using var factory = new WebApplicationFactory<ConsentEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Production");
            web.UseTestInfrastructure(database.ConnectionString, rabbit, $"t{Guid.NewGuid():N}"[..12] + "-");
            web.UseSetting("Twilio:AccountSid", "AC00000000000000000000000000000001");
            web.UseSetting("Twilio:AuthToken", "test-auth-token");
            web.UseSetting("Twilio:PublicBaseUrl", "https://hooks.shop.test");
        });

        var e = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("Consent:CheckpointKey", Messages(e), StringComparison.Ordinal);
    }

    private static string Messages(Exception e) => e switch
    {
        AggregateException all => string.Join(" | ", all.InnerExceptions.Select(Messages)),
        { InnerException: { } inner } => e.Message + " | " + Messages(inner),
        _ => e.Message,
    };
}
