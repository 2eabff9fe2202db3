using System.Globalization;
using System.Net.Http.Headers;
using Dapper;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests;

/// <summary>
/// The consent service over a fresh database, the real broker (its own exchange prefix) and the WireMock Twilio
/// sandbox, with a settable clock. API keys are written straight into the service's key replica.
/// </summary>
public class ConsentHost : IAsyncLifetime
{
    public const string ShopLine = "+13125550000";

    /// <summary>The key checkpoints are signed with: configuration, never the database.</summary>
    public const string CheckpointKey = "test-checkpoint-key-0123456789abcdef0123456789abcdef";

    /// <summary>Wednesday 11:00 in Chicago, 12:00 in New York: inside every window.</summary>
    public static readonly DateTimeOffset Midday = new(2026, 11, 18, 17, 0, 0, TimeSpan.Zero);

    private WebApplicationFactory<ConsentEntryPoint>? _factory;

    public TestClock Clock { get; } = new(Midday);

    public string Prefix { get; } = $"t{Guid.NewGuid():N}"[..12] + "-";

    public TestDatabase Database { get; private set; } = null!;

    public TwilioApiSandbox Twilio { get; } = TwilioApiSandbox.Start();

    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    protected virtual bool A2PRegistered => true;

    public virtual async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        var rabbit = await TestInfrastructure.RabbitMqAsync();
        _factory = new WebApplicationFactory<ConsentEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseTestInfrastructure(Database.ConnectionString, rabbit, Prefix);
            web.UseSetting("Twilio:AccountSid", "AC00000000000000000000000000000001");
            web.UseSetting("Twilio:AuthToken", "test-auth-token");
            web.UseSetting("Twilio:ApiBaseUrl", Twilio.BaseUrl);
            web.UseSetting("Twilio:PublicBaseUrl", "https://hooks.shop.test");
            web.UseSetting("Business:TimeZone", "America/Chicago");
            web.UseSetting("Messaging:A2PRegistered", A2PRegistered ? "true" : "false");
            web.UseSetting("Messaging:From", ShopLine);
            web.UseSetting("Consent:CheckpointKey", CheckpointKey);
            web.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
            ConfigureWebHost(web);
        });
        Http = _factory.CreateClient();
        await Eventually.ValueAsync(async () => (await Http.GetAsync("/health/ready")).IsSuccessStatusCode, ready => ready,
            TimeSpan.FromSeconds(60), "the consent service is ready");
    }

    /// <summary>Lets a derived host add settings and test services after the common ones.</summary>
    protected virtual void ConfigureWebHost(IWebHostBuilder web)
    {
    }

    /// <summary>A key of the given role, stored the way ApiKeyIssued would store it.</summary>
    public async Task<string> KeyAsync(string role)
    {
        var key = ApiKeys.NewKey();
        await using var c = new NpgsqlConnection(Database.ConnectionString);
        await c.ExecuteAsync(
            "INSERT INTO consent.api_keys (key_id, user_id, user_name, role, key_hash, issued_at) VALUES (@Id, @UserId, @Name, @Role, @Hash, now())",
            new { Id = Guid.NewGuid(), UserId = Guid.NewGuid(), Name = $"{role} tester", Role = role, Hash = ApiKeys.Hash(key) });
        return key;
    }

    public async Task<HttpResponseMessage> SendAsync(string? key, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return await Http.SendAsync(request);
    }

    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var c = new NpgsqlConnection(Database.ConnectionString);
        return (await c.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters = null)
    {
        await using var c = new NpgsqlConnection(Database.ConnectionString);
        return (await c.QueryAsync<T>(sql, parameters)).AsList();
    }

    /// <summary>A bus on this host's exchange prefix, for publishing events and sending requests.</summary>
    public async Task<IBusControl> BusAsync()
    {
        var rabbit = await TestInfrastructure.RabbitMqAsync();
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(rabbit);
            cfg.MessageTopology.SetEntityNameFormatter(new PrefixedEntityNameFormatter(cfg.MessageTopology.EntityNameFormatter, Prefix));
        });
        await bus.StartAsync();
        return bus;
    }

    public virtual async Task DisposeAsync()
    {
        Http.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        Twilio.Dispose();
        await Database.DisposeAsync();
    }
}

/// <summary>The same, with SMS not yet A2P registered.</summary>
public sealed class UnregisteredConsentHost : ConsentHost
{
    protected override bool A2PRegistered => false;
}

public static class Numbers
{
    private static int _next = Random.Shared.Next(0, 5000);

    /// <summary>A fresh Chicago number per call: tests never share a number.</summary>
    public static string Chicago() => "+1312" + (2000000 + Interlocked.Increment(ref _next) * 7 % 7999999).ToString(CultureInfo.InvariantCulture);
}
