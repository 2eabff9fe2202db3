using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests;

/// <summary>
/// The webhooks service over a fresh database on the real PostgreSQL and a real RabbitMQ, each reached
/// through a <see cref="TcpToggleProxy"/> so a test can take either away; a probe on the broker sees the
/// events; business time comes from a fake clock.
/// </summary>
public sealed class WebhooksHost : IAsyncLifetime
{
    public const string AuthToken = "test-auth-token";
    public const string PublicBaseUrl = "https://hooks.shop.test";
    public const string ShopLine = "+13125550000";
    public const string StaffCell = "+13125550199";

    /// <summary>Wednesday 09:00 in Chicago: open.</summary>
    public static readonly DateTimeOffset BusinessHours = new(2026, 11, 18, 15, 0, 0, TimeSpan.Zero);

    /// <summary>Tuesday 22:00 in Chicago: closed.</summary>
    public static readonly DateTimeOffset AfterHours = new(2026, 11, 18, 4, 0, 0, TimeSpan.Zero);

    /// <summary>Shorter than production's 30 s, so that a test sees readiness turn red without a long wait.</summary>
    public static readonly TimeSpan OutboxUnhealthyAfter = TimeSpan.FromSeconds(2);

    private WebApplicationFactory<WebhooksEntryPoint>? _factory;
    private Uri? _rabbit;

    public TestClock Clock { get; } = new(BusinessHours);

    /// <summary>This host's queue and exchange prefix on the shared broker.</summary>
    public string Prefix { get; } = $"t{Guid.NewGuid():N}"[..12] + "-";

    /// <summary>This host's own folder for its journal, so a test can take the folder away (readiness needs it writable).</summary>
    public string JournalFolder { get; } = Path.Combine(Path.GetTempPath(), "recoverycomms-tests", $"{Guid.NewGuid():N}");

    /// <summary>This host's own webhook journal (the local file voice webhooks go to when PostgreSQL and RabbitMQ are both down).</summary>
    public string JournalPath => Path.Combine(JournalFolder, "webhook-journal.jsonl");

    /// <summary>The service's own services (its meters, its journal).</summary>
    public IServiceProvider Services => _factory!.Services;

    public TestDatabase Database { get; private set; } = null!;

    public TcpToggleProxy Postgres { get; private set; } = null!;

    public TcpToggleProxy RabbitMq { get; private set; } = null!;

    public EventProbe Events { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public TwilioWebhookClient Twilio { get; private set; } = null!;

    /// <summary>Everything the service logged.</summary>
    public LogCollector Logs { get; } = new();

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        var admin = new NpgsqlConnectionStringBuilder(await TestInfrastructure.PostgresAsync());
        Postgres = new TcpToggleProxy(admin.Host!, admin.Port);
        var rabbit = await TestInfrastructure.RabbitMqAsync();
        RabbitMq = new TcpToggleProxy(rabbit.Host, rabbit.Port);
        Events = await EventProbe.StartAsync(Prefix);

        _rabbit = new UriBuilder(rabbit) { Host = "127.0.0.1", Port = RabbitMq.Port }.Uri;
        _factory = new WebApplicationFactory<WebhooksEntryPoint>().WithWebHostBuilder(web => Configure(web, JournalPath));
        Http = _factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(PublicBaseUrl) });
        Twilio = new TwilioWebhookClient(Http, AuthToken, PublicBaseUrl);
        await Eventually.ValueAsync(async () => (await Http.GetAsync("/health/ready")).IsSuccessStatusCode, ready => ready,
            TimeSpan.FromSeconds(60), "the webhooks service is ready");
    }

    private void Configure(IWebHostBuilder web, string journalPath)
    {
        web.UseTestInfrastructure(Database.Via(Postgres.Port), _rabbit!, Prefix);
        web.UseSetting("Twilio:AccountSid", "AC00000000000000000000000000000001");
        web.UseSetting("Twilio:AuthToken", AuthToken);
        web.UseSetting("Twilio:PublicBaseUrl", PublicBaseUrl);
        web.UseSetting("Business:TimeZone", "America/Chicago");
        web.UseSetting("Webhooks:RingGroup:0", "+13125550100");
        web.UseSetting("Webhooks:RingGroup:1", "+13125550101");
        web.UseSetting("Webhooks:StaffNumbers:0", StaffCell);
        web.UseSetting("Webhooks:ShortAbandonSeconds", "5");
        web.UseSetting("Webhooks:JournalPath", journalPath);
        web.UseSetting("Outbox:UnhealthyAfter", OutboxUnhealthyAfter.ToString());
        web.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<ILoggerProvider>(Logs);
            // The console stays at the test settings' Error level; the collector sees everything.
            services.Configure<LoggerFilterOptions>(filters => filters.AddFilter<LogCollector>(null, LogLevel.Trace));
        });
    }

    /// <summary>
    /// Another replica on the same database and broker, with its own journal; the caller disposes it. Ready when
    /// returned.
    /// </summary>
    public async Task<(WebApplicationFactory<WebhooksEntryPoint> Factory, TwilioWebhookClient Twilio)> StartReplicaAsync()
    {
        var journal = Path.Combine(Path.GetTempPath(), "recoverycomms-tests", $"{Guid.NewGuid():N}.jsonl");
        var factory = new WebApplicationFactory<WebhooksEntryPoint>().WithWebHostBuilder(web => Configure(web, journal));
        var http = factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(PublicBaseUrl) });
        await Eventually.ValueAsync(async () => (await http.GetAsync("/health/ready")).IsSuccessStatusCode, ready => ready,
            TimeSpan.FromSeconds(60), "the replica is ready");
        return (factory, new TwilioWebhookClient(http, AuthToken, PublicBaseUrl));
    }

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        return (await connection.QueryAsync<T>(sql, parameters)).AsList();
    }

    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        return await connection.ExecuteScalarAsync<T>(sql, parameters) ?? throw new InvalidOperationException("no value");
    }

    /// <summary>
    /// Waits until the calls' webhooks are all stored (<paramref name="webhooks"/> rows, spooled ones replayed),
    /// every event their outbox holds is published, and the probe has received each of them; returns the
    /// events. Counting then sees a late duplicate too, which counting right after the first event cannot.
    /// </summary>
    public async Task<IReadOnlyList<object>> DrainedEventsAsync(IReadOnlyCollection<string> callSids, int webhooks, TimeSpan timeout)
    {
        var sids = callSids.ToArray();
        await Eventually.ValueAsync(
            () => ScalarAsync<long>("""
                SELECT count(*) FROM webhooks.inbound_webhooks w
                WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(w.parameters) p WHERE p->>0 = 'CallSid' AND p->>1 = ANY(@sids))
                """, new { sids }),
            stored => stored == webhooks, timeout, $"{webhooks} webhooks stored");
        var outbox = await Eventually.ValueAsync(
            () => QueryAsync<(Guid MessageId, bool Published)>("SELECT message_id, published_at IS NOT NULL FROM webhooks.outbox WHERE payload->>'callSid' = ANY(@sids)", new { sids }),
            rows => rows.All(r => r.Published), timeout, "the outbox relayed every event");
        var expected = outbox.Select(r => r.MessageId).ToHashSet();
        await Eventually.ValueAsync(() => Task.FromResult(Events.MessageIds<object>(_ => true).ToHashSet()), received => expected.IsSubsetOf(received), timeout, $"the probe received all {expected.Count} events");
        return Events.All<object>(e => CallSidOf(e) is { } sid && sids.Contains(sid));
    }

    public static string? CallSidOf(object e) => e switch
    {
        Contracts.Capture.MissedCallCaptured m => m.CallSid,
        Contracts.Capture.AbandonedCallCaptured a => a.CallSid,
        Contracts.Capture.VoicemailCaptured v => v.CallSid,
        Contracts.Capture.VoicemailTranscribed t => t.CallSid,
        _ => null,
    };

    public Task<long> StoredWebhooksAsync(string providerSid) =>
        ScalarAsync<long>("SELECT count(*) FROM webhooks.inbound_webhooks WHERE provider_sid = @providerSid", new { providerSid });

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await Events.DisposeAsync();
        await RabbitMq.DisposeAsync();
        await Postgres.DisposeAsync();
        await Database.DisposeAsync();
        if (Directory.Exists(JournalFolder))
        {
            Directory.Delete(JournalFolder, recursive: true);
        }
        else
        {
            File.Delete(JournalFolder);
        }
    }
}
