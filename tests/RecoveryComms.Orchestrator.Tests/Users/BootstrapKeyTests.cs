using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Users;

/// <summary>A fixture of its own: the bootstrap key's life depends on whether an admin exists yet.</summary>
public sealed class BootstrapHost : ServicesHost
{
    public ConcurrentQueue<string> Warnings { get; } = new();

    protected override void ConfigureOrchestrator(IWebHostBuilder web)
    {
        web.UseSetting("Logging:LogLevel:RecoveryComms.Hosting.Auth", "Warning");
        web.ConfigureTestServices(services => services.AddSingleton<ILoggerProvider>(new WarningCollector(Warnings)));
    }

    private sealed class WarningCollector(ConcurrentQueue<string> warnings) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Collector(categoryName, warnings);

        public void Dispose()
        {
        }

        private sealed class Collector(string category, ConcurrentQueue<string> warnings) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel >= LogLevel.Warning && category.StartsWith("RecoveryComms.Hosting.Auth", StringComparison.Ordinal))
                {
                    warnings.Enqueue(formatter(state, exception));
                }
            }
        }
    }
}

public sealed class BootstrapKeyTests(BootstrapHost host) : IClassFixture<BootstrapHost>
{
    private Task<HttpResponseMessage> CreateAsync(string key, string role) =>
        host.Orchestrator.SendAsync(ServicesHost.As(key, HttpMethod.Post, "/api/users",
            JsonContent.Create(new { name = $"{role} {Guid.NewGuid():N}"[..20], role })));

    [Fact]
    public async Task BootstrapKey_CreatesUsersUntilAnAdminExists_ThenIsRefusedWithItsOwnProblemType()
    {
        var csr = await CreateAsync(ServicesHost.BootstrapKey, "csr");
        var listing = await host.Orchestrator.SendAsync(ServicesHost.As(ServicesHost.BootstrapKey, HttpMethod.Get, "/api/users"));
        var admin = await CreateAsync(ServicesHost.BootstrapKey, "admin");
        var adminKey = (await admin.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiKey").GetString()!;

        var afterAdmin = await CreateAsync(ServicesHost.BootstrapKey, "admin");
        var byAdmin = await CreateAsync(adminKey, "manager");

        Assert.Equal(HttpStatusCode.Created, csr.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, listing.StatusCode);
        Assert.Equal(HttpStatusCode.Created, admin.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterAdmin.StatusCode);
        Assert.Equal("application/problem+json", afterAdmin.Content.Headers.ContentType?.MediaType);
        var problem = await afterAdmin.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://recoverycomms.dev/problems/bootstrap-key-retired", problem.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.Created, byAdmin.StatusCode);
    }

    [Fact]
    public void StartUp_WithTheBootstrapKeyConfigured_LogsAWarning() =>
        Assert.Contains(host.Warnings, w => w.Contains("Auth:BootstrapAdminKey is configured", StringComparison.Ordinal));
}
