using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using RecoveryComms.Consent;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests;

/// <summary>The orchestrator and the consent service, side by side on one fresh database and the real broker.</summary>
public class ServicesHost : IAsyncLifetime
{
    public const string BootstrapKey = "test-bootstrap-key";

    private readonly List<IAsyncDisposable> _factories = [];
    private WebApplicationFactory<OrchestratorEntryPoint>? _orchestrator;

    public TestDatabase Database { get; private set; } = null!;

    /// <summary>The hosts' queue and exchange prefix on the shared broker.</summary>
    public string Prefix { get; } = $"t{Guid.NewGuid():N}"[..12] + "-";

    public HttpClient Orchestrator { get; private set; } = null!;

    public HttpClient Consent { get; private set; } = null!;

    /// <summary>The orchestrator's services (its NpgsqlDataSource, singletons such as CrmWebhooks).</summary>
    public IServiceProvider OrchestratorServices => _orchestrator!.Services;

    /// <summary>What a derived fixture adds to the orchestrator only: settings, a fake clock.</summary>
    protected virtual void ConfigureOrchestrator(IWebHostBuilder web)
    {
    }

    /// <summary>What a derived fixture adds to the consent service only.</summary>
    protected virtual void ConfigureConsent(IWebHostBuilder web)
    {
    }

    public virtual async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        var rabbit = await TestInfrastructure.RabbitMqAsync();

        void Configure(IWebHostBuilder web)
        {
            web.UseTestInfrastructure(Database.ConnectionString, rabbit, Prefix);
            web.UseSetting("Twilio:AccountSid", "AC00000000000000000000000000000001");
            web.UseSetting("Twilio:AuthToken", "test-auth-token");
            web.UseSetting("Auth:BootstrapAdminKey", BootstrapKey);
        }

        var orchestrator = _orchestrator = new WebApplicationFactory<OrchestratorEntryPoint>().WithWebHostBuilder(web =>
        {
            Configure(web);
            ConfigureOrchestrator(web);
        });
        var consent = new WebApplicationFactory<ConsentEntryPoint>().WithWebHostBuilder(web =>
        {
            Configure(web);
            ConfigureConsent(web);
        });
        _factories.Add(orchestrator);
        _factories.Add(consent);
        Orchestrator = orchestrator.CreateClient();
        Consent = consent.CreateClient();
        foreach (var client in new[] { Orchestrator, Consent })
        {
            await Eventually.ValueAsync(async () => (await client.GetAsync("/health/ready")).IsSuccessStatusCode, ready => ready,
                TimeSpan.FromSeconds(60), "service ready");
        }
    }

    private readonly SemaphoreSlim _creatorGate = new(1, 1);
    private string? _creatorKey;

    /// <summary>
    /// The key that creates this fixture's users: the bootstrap key makes one admin, which retires the bootstrap
    /// key (it is refused once an active admin exists), and that admin's key creates everyone else.
    /// </summary>
    public async Task<string> CreatorKeyAsync()
    {
        await _creatorGate.WaitAsync();
        try
        {
            if (_creatorKey is null)
            {
                var response = await Orchestrator.SendAsync(As(BootstrapKey, HttpMethod.Post, "/api/users",
                    JsonContent.Create(new { name = "fixture admin", role = "admin" })));
                response.EnsureSuccessStatusCode();
                var created = await response.Content.ReadFromJsonAsync<JsonElement>();
                _creatorKey = created.GetProperty("apiKey").GetString()!;
            }

            return _creatorKey;
        }
        finally
        {
            _creatorGate.Release();
        }
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

    public virtual async Task DisposeAsync()
    {
        foreach (var factory in _factories)
        {
            await factory.DisposeAsync();
        }

        await Database.DisposeAsync();
    }
}
