using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Consent;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Orchestrator.Timers;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Queue;

/// <summary>
/// The recovery loop under test: the orchestrator and the consent service on one fresh database and the real
/// broker (own prefix), Twilio's REST API as the WireMock sandbox, and one settable clock for both services.
/// Capture events are published onto the broker the way the webhooks service's outbox relay publishes them.
/// </summary>
public class LoopHost : IAsyncLifetime
{
    public const string BootstrapKey = "test-bootstrap-key";
    public const string ShopLine = "+13125550000";

    /// <summary>Tuesday 24 November 2026, 10:00 in Chicago: the shop is open.</summary>
    public static readonly DateTimeOffset TuesdayMorning = new(2026, 11, 24, 16, 0, 0, TimeSpan.Zero);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly List<WebApplicationFactory<OrchestratorEntryPoint>> _orchestrators = [];
    private WebApplicationFactory<ConsentEntryPoint>? _consent;
    private IBusControl? _publisher;
    private Uri? _rabbit;

    public TestClock Clock { get; } = new(TuesdayMorning);

    public string Prefix { get; } = $"t{Guid.NewGuid():N}"[..12] + "-";

    public TestDatabase Database { get; private set; } = null!;

    public TwilioApiSandbox Twilio { get; } = TwilioApiSandbox.Start();

    public HttpClient Orchestrator { get; private set; } = null!;

    /// <summary>Where the first orchestrator listens on loopback, when <see cref="ListenOnLoopback"/> is set.</summary>
    public Uri OrchestratorUrl => ListenOnLoopback ? Orchestrator.BaseAddress! : throw new InvalidOperationException("This host runs in memory (TestServer); set ListenOnLoopback.");

    public HttpClient Consent { get; private set; } = null!;

    public IServiceProvider Services => _orchestrators[0].Services;

    /// <summary>The consent service's services (its error queues, its data source).</summary>
    public IServiceProvider ConsentServices => _consent!.Services;

    /// <summary>Extra settings of a test class (e.g. <c>Recovery:AutoSmsAfterFirstAttempt</c>).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    /// <summary>Settings for one service only (<c>orchestrator</c> or <c>consent</c>), applied after <see cref="Settings"/>.</summary>
    protected virtual IReadOnlyDictionary<string, string> SettingsFor(string service) => new Dictionary<string, string>();

    /// <summary>Runs once the database exists, before any service starts.</summary>
    protected virtual Task PrepareDatabaseAsync() => Task.CompletedTask;

    /// <summary>
    /// Orchestrators listen on Kestrel at 127.0.0.1 on a free port (so a browser can reach them) instead of the in-memory
    /// TestServer. Off by default: the TestServer is faster and needs no port.
    /// </summary>
    protected virtual bool ListenOnLoopback => false;

    public virtual async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        await PrepareDatabaseAsync();
        _rabbit = await TestInfrastructure.RabbitMqAsync();
        _consent = new WebApplicationFactory<ConsentEntryPoint>().WithWebHostBuilder(web => Configure(web, "consent"));
        Consent = _consent.CreateClient();
        Orchestrator = StartOrchestrator().CreateClient();
        foreach (var client in new[] { Orchestrator, Consent })
        {
            await Eventually.ValueAsync(async () => (await client.GetAsync("/health/ready")).IsSuccessStatusCode, ready => ready,
                TimeSpan.FromSeconds(60), "service ready");
        }

        _publisher = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(_rabbit);
            cfg.MessageTopology.SetEntityNameFormatter(new PrefixedEntityNameFormatter(cfg.MessageTopology.EntityNameFormatter, Prefix));
        });
        await _publisher.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
    }

    /// <summary>
    /// Another orchestrator replica on the same database and broker (or the first, at start). Its consent forwarder
    /// reaches the consent test server, unless <paramref name="configure"/> says otherwise.
    /// </summary>
    public WebApplicationFactory<OrchestratorEntryPoint> StartOrchestrator(Action<IWebHostBuilder>? configure = null)
    {
        var factory = new WebApplicationFactory<OrchestratorEntryPoint>().WithWebHostBuilder(web =>
        {
            Configure(web, "orchestrator");
            web.ConfigureTestServices(services => services.AddHttpClient(RecoveryComms.Orchestrator.ConsentProxy.ConsentForwarding.HttpClientName)
                .ConfigurePrimaryHttpMessageHandler(() => _consent!.Server.CreateHandler()));
            configure?.Invoke(web);
        });
        if (ListenOnLoopback)
        {
            factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            factory.StartServer();
        }

        _orchestrators.Add(factory);
        return factory;
    }

    /// <summary>Stops a replica as a crash would leave it: its pending timers and items stay in PostgreSQL.</summary>
    public async Task StopOrchestratorAsync(WebApplicationFactory<OrchestratorEntryPoint> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _orchestrators.Remove(factory);
        await factory.DisposeAsync();
    }

    private void Configure(IWebHostBuilder web, string service)
    {
        web.UseTestInfrastructure(Database.ConnectionString, _rabbit!, Prefix);
        web.UseSetting("Twilio:AccountSid", "AC00000000000000000000000000000001");
        web.UseSetting("Twilio:AuthToken", "test-auth-token");
        web.UseSetting("Twilio:ApiBaseUrl", Twilio.BaseUrl);
        web.UseSetting("Twilio:PublicBaseUrl", "https://hooks.shop.test");
        web.UseSetting("Auth:BootstrapAdminKey", BootstrapKey);
        web.UseSetting("Business:TimeZone", "America/Chicago");
        web.UseSetting("Business:ShopLines:0", ShopLine);
        web.UseSetting("Messaging:A2PRegistered", "true");
        web.UseSetting("Messaging:From", ShopLine);
        web.UseSetting("Recovery:ShopName", "Acme Plumbing");
        web.UseSetting("Recovery:ConsentTimeout", "00:00:10");
        // QueueApiTests' CRM (WireMock) listens on loopback, which CRM deliveries refuse unless allowed.
        web.UseSetting("Integrations:Webhooks:AllowedNetworks:0", "127.0.0.0/8");
        web.UseSetting("Integrations:Webhooks:AllowedNetworks:1", "::1");
        foreach (var (key, value) in Settings.Concat(SettingsFor(service)))
        {
            web.UseSetting(key, value);
        }

        web.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            ConfigureTestServices(services);
        });
    }

    /// <summary>What a test class adds to every host's services (the orchestrators' and the consent service's).</summary>
    protected virtual void ConfigureTestServices(IServiceCollection services)
    {
    }

    public Task PublishAsync<T>(T message)
        where T : class => _publisher!.Publish(message);

    /// <summary>A missed call captured now (or at <paramref name="at"/>) from <paramref name="caller"/>.</summary>
    public Task<string> MissAsync(string caller, DateTimeOffset? at = null, bool afterHours = false, bool withheld = false)
    {
        var sid = NewSid("CA");
        return PublishAsync(new MissedCallCaptured(Guid.NewGuid(), sid, caller, withheld, ShopLine, afterHours, "no-answer", at ?? Clock.Now))
            .ContinueWith(_ => sid, TaskScheduler.Default);
    }

    public static string NewSid(string prefix) => prefix + Guid.NewGuid().ToString("N");

    /// <summary>A fresh E.164 number in Chicago's 312 area (555-01xx numbers are reserved for fiction).</summary>
    public static string NewPhone() => "+1312555" + (Interlocked.Increment(ref _phones) % 10000).ToString("D4", CultureInfo.InvariantCulture);

    private static int _phones = Random.Shared.Next(0, 10000);

    public sealed record User(Guid Id, string Name, string Role, string? Phone, string ApiKey);

    private sealed record CreatedUser(Guid Id, string Name, string Role, string? Phone, Guid KeyId, string ApiKey);

    private readonly SemaphoreSlim _creatorGate = new(1, 1);
    private string? _creatorKey;

    /// <summary>The bootstrap key makes one admin (which retires the bootstrap key); that admin creates everyone else.</summary>
    private async Task<string> CreatorKeyAsync()
    {
        await _creatorGate.WaitAsync();
        try
        {
            if (_creatorKey is null)
            {
                var response = await Orchestrator.SendAsync(As(BootstrapKey, HttpMethod.Post, "/api/users",
                    JsonContent.Create(new { name = "fixture admin", role = "admin" })));
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                _creatorKey = (await response.Content.ReadFromJsonAsync<CreatedUser>(Json))!.ApiKey;
            }

            return _creatorKey;
        }
        finally
        {
            _creatorGate.Release();
        }
    }

    public async Task<User> UserAsync(string role, string? phone = null)
    {
        var response = await Orchestrator.SendAsync(As(await CreatorKeyAsync(), HttpMethod.Post, "/api/users",
            JsonContent.Create(new { name = $"{role}-{Guid.NewGuid():N}"[..16], role, phone })));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<CreatedUser>(Json))!;
        return new User(created.Id, created.Name, created.Role, created.Phone, created.ApiKey);
    }

    /// <summary>Waits until the consent service knows a key (keys replicate over the broker).</summary>
    public Task KnownToConsentAsync(User user) =>
        Eventually.ValueAsync(async () => (await Consent.SendAsync(As(user.ApiKey, HttpMethod.Get, "/api/me"))).StatusCode, s => s == HttpStatusCode.OK,
            TimeSpan.FromSeconds(20), "the consent service knows the key");

    /// <summary>Records a consent state for a number through the consent service, as a compliance user would.</summary>
    public async Task RecordConsentAsync(string phone, string channel = "sms", string state = "express", string evidence = "web form opt-in")
    {
        var compliance = await UserAsync("compliance");
        await KnownToConsentAsync(compliance);
        var recorded = await Consent.SendAsync(As(compliance.ApiKey, HttpMethod.Post, $"/api/consent/{Uri.EscapeDataString(phone)}",
            JsonContent.Create(new { channel, state, evidence })));
        Assert.True(recorded.IsSuccessStatusCode, await recorded.Content.ReadAsStringAsync());
    }

    /// <summary>A missed call from a new number, claimed by a new CSR with a phone; its number consented to texts first when asked.</summary>
    public async Task<(User Csr, string Phone, Guid ItemId)> ClaimedItemAsync(bool consented = false)
    {
        var csr = await UserAsync("csr", NewPhone());
        var phone = NewPhone();
        if (consented)
        {
            await RecordConsentAsync(phone);
        }

        await MissAsync(phone);
        var id = (await ItemOfAsync(csr, phone)).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{id}/claim")).StatusCode);
        return (csr, phone, id);
    }

    /// <summary>
    /// Saves the shop's fallback owners (the settings the console saves; a ring group is set, as a saved document needs
    /// one): the owners of every new item on a weekday without rotation, as the tests' Tuesday is.
    /// </summary>
    public async Task<HttpResponseMessage> PutFallbackOwnersAsync(User manager, Guid? primary, Guid? backup)
    {
        ArgumentNullException.ThrowIfNull(manager);
        var read = await SendAsync(manager, HttpMethod.Get, "/api/settings");
        var document = System.Text.Json.Nodes.JsonNode.Parse(await read.Content.ReadAsStringAsync())!.AsObject();
        document["ringGroup"] ??= new System.Text.Json.Nodes.JsonArray();
        if (document["ringGroup"]!.AsArray().Count == 0)
        {
            document["ringGroup"] = new System.Text.Json.Nodes.JsonArray("+13125550190");
        }

        document["fallbackOwners"] = new System.Text.Json.Nodes.JsonObject { ["primaryUserId"] = primary?.ToString(), ["backupUserId"] = backup?.ToString() };
        return await Orchestrator.SendAsync(As(manager.ApiKey, HttpMethod.Put, "/api/settings",
            new StringContent(document.ToJsonString(), System.Text.Encoding.UTF8, "application/json")));
    }

    public static HttpRequestMessage As(string? apiKey, HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return request;
    }

    public async Task<HttpResponseMessage> SendAsync(User user, HttpMethod method, string path, object? body = null)
    {
        ArgumentNullException.ThrowIfNull(user);
        return await Orchestrator.SendAsync(As(user.ApiKey, method, path, body is null ? null : JsonContent.Create(body)));
    }

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(Json))!;

    /// <summary>The open items of a view, as JSON.</summary>
    public async Task<List<JsonElement>> ItemsAsync(User user, string view = "open")
    {
        var response = await SendAsync(user, HttpMethod.Get, $"/api/recoveries?view={view}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = await LoopHost.ReadAsync<JsonElement>(response);
        return doc.GetProperty("items").EnumerateArray().ToList();
    }

    /// <summary>Waits for the open item of a phone number to satisfy a condition.</summary>
    public Task<JsonElement> ItemOfAsync(User user, string phone, Func<JsonElement, bool>? until = null) =>
        Eventually.ValueAsync(
            async () => (await ItemsAsync(user)).FirstOrDefault(i => i.GetProperty("phone").GetString() == phone),
            item => item.ValueKind == JsonValueKind.Object && (until?.Invoke(item) ?? true),
            TimeSpan.FromSeconds(20), $"an open item for {phone}");

    public async Task<JsonElement> DetailAsync(User user, Guid id)
    {
        var response = await SendAsync(user, HttpMethod.Get, $"/api/recoveries/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await LoopHost.ReadAsync<JsonElement>(response);
    }

    /// <summary>Moves the shared clock and fires every timer due by then (as the replicas' loops would within 100 ms).</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        Clock.Now += by;
        foreach (var factory in _orchestrators)
        {
            await factory.Services.GetRequiredService<TimerWorker>().FireDueAsync(10_000, CancellationToken.None);
        }

        // The replicas' own loops may still be committing timers they claimed: wait until none is due.
        await using var c = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        await Eventually.ValueAsync(
            async () => await Dapper.SqlMapper.ExecuteScalarAsync<long>(c, "SELECT count(*) FROM orchestrator.timers WHERE due_at <= @Now", new { Now = Clock.Now }),
            due => due == 0, TimeSpan.FromSeconds(30), "every due timer fired");
    }

    public virtual async Task DisposeAsync()
    {
        if (_publisher is not null)
        {
            await _publisher.StopAsync();
        }

        foreach (var factory in _orchestrators.ToList())
        {
            await factory.DisposeAsync();
        }

        if (_consent is not null)
        {
            await _consent.DisposeAsync();
        }

        Twilio.Dispose();
        await Database.DisposeAsync();
    }
}
