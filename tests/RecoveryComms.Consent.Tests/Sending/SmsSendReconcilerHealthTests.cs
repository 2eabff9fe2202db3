using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using RecoveryComms.Consent.Sending;
using RecoveryComms.Hosting.Background;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Telephony;
using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests.Sending;

/// <summary>
/// The reconciler's readiness entry as the service registers it (<see cref="SendingServiceCollectionExtensions.AddSmsSending"/>),
/// over a migrated consent schema that the reconciler reaches through a relay the test cuts: PostgreSQL refusing turns
/// the entry Degraded, red once the loop has failed for a minute on the loops' clock (which the test moves), and
/// green again at the first step that gets through.
/// </summary>
public sealed class SmsSendReconcilerHealthTests : IAsyncLifetime
{
    private readonly TwilioApiSandbox _twilio = TwilioApiSandbox.Start();
    private TestDatabase _database = null!;
    private TcpToggleProxy _proxy = null!;
    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await DatabaseMigrator.MigrateAsync(new MigrationPlan("consent", typeof(ConsentEntryPoint).Assembly, _database.ConnectionString), CancellationToken.None);
        var server = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        _proxy = new TcpToggleProxy(server.Host!, server.Port);
        _dataSource = NpgsqlDataSource.Create(_database.Via(_proxy.Port));
    }

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await _proxy.DisposeAsync();
        await _database.DisposeAsync();
        _twilio.Dispose();
    }

    [Fact]
    public async Task ReadinessEntry_PostgresRefusing_IsDegraded_RedAfterAMinute_AndHealthyAfterTheNextGoodStep()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 18, 17, 0, 0, TimeSpan.Zero));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Twilio:AccountSid"] = "AC00000000000000000000000000000001",
            ["Twilio:AuthToken"] = "test-auth-token",
            ["Twilio:ApiBaseUrl"] = _twilio.BaseUrl,
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton(_dataSource)
            .AddSingleton(TimeProvider.System)
            .AddSingleton(new BackgroundTime(clock, () => 0.0))
            .AddBackgroundLoops()
            .AddTwilio()
            .AddSmsSending();
        services.AddOptions<MessagingOptions>();
        await using var provider = services.BuildServiceProvider();
        var health = provider.GetRequiredService<HealthCheckService>();
        var reconciler = provider.GetRequiredService<SmsSendReconciler>();
        _proxy.Cut();

        await reconciler.StartAsync(CancellationToken.None);
        try
        {
            var degraded = await Eventually.ValueAsync(() => EntryAsync(health), e => e.Status != HealthStatus.Healthy, TimeSpan.FromSeconds(20),
                "the reconciler's first step failed");
            Assert.Equal(HealthStatus.Degraded, degraded.Status);
            Assert.Contains("failed attempts", degraded.Description, StringComparison.Ordinal);

            // Failing since the first attempt: still Degraded just short of a minute, red at a minute.
            clock.Advance(TimeSpan.FromSeconds(59));
            Assert.Equal(HealthStatus.Degraded, (await EntryAsync(health)).Status);
            clock.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(HealthStatus.Unhealthy, (await EntryAsync(health)).Status);

            // PostgreSQL answers again: the next attempt (after at most the back-off's cap) gets through.
            _proxy.Restore();
            var healthy = await Eventually.ValueAsync(async () =>
            {
                clock.Advance(Backoff.Cap);
                return await EntryAsync(health);
            }, e => e.Status == HealthStatus.Healthy, TimeSpan.FromSeconds(20), "a step got through");
            Assert.StartsWith("last success", healthy.Description, StringComparison.Ordinal);
        }
        finally
        {
            await reconciler.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<HealthReportEntry> EntryAsync(HealthCheckService health) =>
        (await health.CheckHealthAsync(r => r.Name == "sms-reconciler")).Entries["sms-reconciler"];
}
