using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using RecoveryComms.Hosting;

namespace RecoveryComms.Orchestrator.Tests.Security;

public sealed class DevelopmentSecretsTests
{
    private const string OwnLogin = "Host=db;Database=recoverycomms;Username=recoverycomms_orchestrator;Password=long-and-random";

    [Theory]
    [InlineData("Twilio:AuthToken", "dev-auth-token")]
    [InlineData("Auth:BootstrapAdminKey", "dev-bootstrap-admin-key")]
    [InlineData("Consent:CheckpointKey", "recoverycomms-development-checkpoint-key-not-a-secret")]
    [InlineData("ConnectionStrings:Postgres", "Host=db;Database=recoverycomms;Username=postgres;Password=postgres")]
    [InlineData("ConnectionStrings:PostgresMigrations", "Host=db;Database=recoverycomms;Username=recoverycomms_owner;Password=x")]
    public void OutsideDevelopment_APublicSecretTheSuperuserOrTheOwnersLogin_IsRefused(string key, string value)
    {
        var configuration = Configuration((key, value));

        var refused = Assert.Throws<InvalidOperationException>(() => DevelopmentSecrets.Check(configuration, new Environment("Production")));

        Assert.Contains(key, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OutsideDevelopment_OwnSecrets_Start()
    {
        var configuration = Configuration(("Twilio:AuthToken", "a-real-token"), ("Auth:BootstrapAdminKey", "a-real-key"));

        Assert.Empty(DevelopmentSecrets.Problems(configuration, new Environment("Production")));
    }

    [Theory]
    [InlineData("Development", null)]
    [InlineData("Production", "true")]
    public void InDevelopment_OrTheDevStack_PublicSecretsAreAllowed(string environment, string? allow)
    {
        var configuration = Configuration(("Twilio:AuthToken", "dev-auth-token"), ("RecoveryComms:AllowDevelopmentSecrets", allow));

        Assert.Empty(DevelopmentSecrets.Problems(configuration, new Environment(environment)));
    }

    private static IConfiguration Configuration(params (string Key, string? Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(
            settings.Select(s => KeyValuePair.Create(s.Key, s.Value)).Append(KeyValuePair.Create("ConnectionStrings:Postgres", (string?)OwnLogin))
                .GroupBy(s => s.Key).Select(g => g.First())).Build();

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "test";

        public string ContentRootPath { get; set; } = "/";

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
