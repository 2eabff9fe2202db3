using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
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

/// <summary>A system of its own: the bootstrap key opens it once, and never again.</summary>
public sealed class BootstrapRetirementTests(ServicesHost host) : IClassFixture<ServicesHost>
{
    private sealed record Created(Guid Id, Guid KeyId, string ApiKey);

    [Fact]
    public async Task BootstrapKey_OnceAnAdminExisted_StaysRetiredWhenNoAdminHoldsALiveKey()
    {
        var created = await host.Orchestrator.SendAsync(ServicesHost.As(ServicesHost.BootstrapKey, HttpMethod.Post, "/api/users",
            JsonContent.Create(new { name = "only admin", role = "admin" })));
        var admin = (await created.Content.ReadFromJsonAsync<Created>())!;
        var revoked = await host.Orchestrator.SendAsync(ServicesHost.As(admin.ApiKey, HttpMethod.Delete, $"/api/users/{admin.Id}/keys/{admin.KeyId}"));

        var again = await host.Orchestrator.SendAsync(ServicesHost.As(ServicesHost.BootstrapKey, HttpMethod.Post, "/api/users",
            JsonContent.Create(new { name = "second admin", role = "admin" })));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        Assert.Equal("https://recoverycomms.dev/problems/bootstrap-key-retired", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
    }
}

/// <summary>A system of its own: two bootstrap requests at once, on an empty system.</summary>
public sealed class BootstrapRaceTests(ServicesHost host) : IClassFixture<ServicesHost>
{
    [Fact]
    public async Task TwoBootstrapRequestsAtOnce_OnlyOneCreatesAnAdmin()
    {
        // Both requests are let in (no admin yet) and then held at their commit by a deferred trigger until this test
        // lets go of an advisory lock: without a turn each, both would create an admin.
        var gate = Random.Shared.Next();
        await using var holder = new NpgsqlConnection(host.Database.ConnectionString);
        await holder.OpenAsync();
        await holder.ExecuteAsync($"""
            CREATE FUNCTION orchestrator.hold_user_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_advisory_lock({gate}); PERFORM pg_advisory_unlock({gate}); RETURN NULL; END $$;
            CREATE CONSTRAINT TRIGGER hold_user_commit AFTER INSERT ON orchestrator.users DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW EXECUTE FUNCTION orchestrator.hold_user_commit();
            """);
        await holder.ExecuteAsync("SELECT pg_advisory_lock(@gate)", new { gate });
        var requests = Enumerable.Range(0, 2).Select(i => host.Orchestrator.SendAsync(ServicesHost.As(ServicesHost.BootstrapKey, HttpMethod.Post, "/api/users",
            JsonContent.Create(new { name = $"racing admin {i}", role = "admin" })))).ToList();
        // Both wait on an advisory lock: at the test's gate, or (one of them) for its turn.
        await Eventually.ValueAsync(
            () => holder.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
            waiting => waiting == 2, TimeSpan.FromSeconds(10), "both requests wait");
        await holder.ExecuteAsync("SELECT pg_advisory_unlock(@gate)", new { gate });
        var answers = (await Task.WhenAll(requests)).Select(r => r.StatusCode).ToList();

        Assert.Single(answers, s => s == HttpStatusCode.Created);
        Assert.Single(answers, s => s == HttpStatusCode.Unauthorized);
        Assert.Equal(1, await holder.ExecuteScalarAsync<long>("SELECT count(*) FROM orchestrator.users WHERE role = 'admin'"));
    }
}
