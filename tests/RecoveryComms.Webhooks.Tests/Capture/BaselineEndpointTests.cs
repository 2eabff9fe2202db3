using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests.Capture;

/// <summary>The webhooks service with the benchmark's baseline endpoint on, as <c>./infra/dev.sh bench</c> runs it.</summary>
public sealed class BaselineHost : IAsyncLifetime
{
    private WebApplicationFactory<WebhooksEntryPoint>? _factory;

    public TestDatabase Database { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        var rabbit = await TestInfrastructure.RabbitMqAsync();
        _factory = new WebApplicationFactory<WebhooksEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseTestInfrastructure(Database.ConnectionString, rabbit, $"t{Guid.NewGuid():N}"[..12] + "-");
            web.UseSetting("Twilio:AccountSid", "AC00000000000000000000000000000001");
            web.UseSetting("Twilio:AuthToken", "test-auth-token");
            web.UseSetting("Twilio:PublicBaseUrl", "https://hooks.shop.test");
            web.UseSetting("Business:TimeZone", "America/Chicago");
            web.UseSetting("Benchmark:BaselineEndpoint", "true");
        });
        Http = _factory.CreateClient();
        await Eventually.ValueAsync(async () => (await Http.GetAsync("/health/ready")).IsSuccessStatusCode, ready => ready,
            TimeSpan.FromSeconds(60), "the webhooks service is ready");
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await Database.DisposeAsync();
    }
}

public sealed class BaselineEndpointTests(BaselineHost host) : IClassFixture<BaselineHost>
{
    // What the load tool does before it measures (tests/RecoveryComms.LoadTest/BaselineTable.cs).
    private Task CreateTableAsync() => host.ScalarAsync<object>(
        "CREATE TABLE IF NOT EXISTS webhooks.benchmark_baseline (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL, received_at timestamptz NOT NULL DEFAULT now())");

    [Fact]
    public async Task Baseline_HasNoTableInTheProductionSchema_TakesAWebhookSizedBody_AndRefusesALargerOne()
    {
        Assert.Null(await host.ScalarAsync<object>("SELECT to_regclass('webhooks.benchmark_baseline')::text") as string);
        await CreateTableAsync();
        var marker = Guid.NewGuid().ToString("N");
        var small = await host.Http.PostAsync("/benchmark/baseline", new StringContent("CallSid=" + marker));
        var tooLarge = await host.Http.PostAsync("/benchmark/baseline", new ByteArrayContent(new byte[(64 * 1024) + 1]));
        using var chunked = new StreamContent(new UnknownLengthStream(new byte[256 * 1024]));
        var tooLargeChunked = await host.Http.PostAsync("/benchmark/baseline", chunked);

        Assert.Equal(HttpStatusCode.NoContent, small.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLargeChunked.StatusCode);
        Assert.Equal(1L, await host.ScalarAsync<long>("SELECT count(*) FROM webhooks.benchmark_baseline"));
    }

    /// <summary>A body whose length the client cannot know in advance, so it is sent without Content-Length.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
