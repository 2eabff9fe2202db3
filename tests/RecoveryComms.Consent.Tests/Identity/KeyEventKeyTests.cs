using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests.Identity;

// Outside Development the consent service needs the orchestrator's public key, and refuses the public dev pair.
public sealed class KeyEventKeyTests
{
    private static async Task<string> StartupFailureAsync(string? publicKey)
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
            web.UseSetting("Consent:CheckpointKey", ConsentHost.CheckpointKey);
            if (publicKey is not null)
            {
                web.UseSetting("Auth:KeyEventPublicKey", publicKey);
            }
        });

        return Messages(Assert.ThrowsAny<Exception>(() => factory.CreateClient()));
    }

    [Fact]
    public async Task Startup_InProductionWithoutThePublicKey_IsRefused() =>
        Assert.Contains(KeyEventKeyValidation.MissingPublicKey, await StartupFailureAsync(null), StringComparison.Ordinal);

    [Fact]
    public async Task Startup_InProductionWithTheDevelopmentKey_IsRefused() =>
        Assert.Contains("Auth:KeyEventPublicKey is the public development key", await StartupFailureAsync(KeyEventSignatures.DevelopmentPublicKey), StringComparison.Ordinal);

    private static string Messages(Exception e) => e switch
    {
        AggregateException all => string.Join(" | ", all.InnerExceptions.Select(Messages)),
        { InnerException: { } inner } => e.Message + " | " + Messages(inner),
        _ => e.Message,
    };
}
