using System.Net;
using System.Net.Http.Json;
using Npgsql;
using RecoveryComms.Consent;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Orchestrator.Tests.Queue;
using RecoveryComms.Testing;
using RecoveryComms.Webhooks;

namespace RecoveryComms.Orchestrator.Tests.Security;

/// <summary>
/// The services as deployed (docs/security.md): the three schemas migrated first by <c>migrate</c>, as their owner;
/// the orchestrator and the consent service then started with their own logins only, and nothing that migrates.
/// </summary>
public sealed class LeastPrivilegeHost : LoopHost
{
    private readonly Dictionary<string, string> _logins = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Logins => _logins;

    protected override async Task PrepareDatabaseAsync()
    {
        var owner = "--ConnectionStrings:PostgresMigrations=" + Database.ConnectionString;
        foreach (var (schema, assembly) in new[]
        {
            ("webhooks", typeof(WebhooksEntryPoint).Assembly),
            ("orchestrator", typeof(OrchestratorEntryPoint).Assembly),
            ("consent", typeof(ConsentEntryPoint).Assembly),
        })
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var exit = await MigrateCommand.RunAsync(["migrate", owner], schema, assembly, output, error);
            Assert.True(exit == 0, $"migrate {schema} exited {exit}: {error}");
            _logins[schema] = await Database.AppLoginAsync(schema);
        }
    }

    protected override IReadOnlyDictionary<string, string> SettingsFor(string service) => new Dictionary<string, string>
    {
        ["ConnectionStrings:Postgres"] = _logins[service],
        ["Postgres:MigrateOnStart"] = "false",
    };
}

public sealed class ServiceLoginTests(LeastPrivilegeHost host) : IClassFixture<LeastPrivilegeHost>
{
    [Fact]
    public async Task ServicesOnTheirOwnLogins_Work_AndNoSessionBelongsToTheOwner()
    {
        // Some real work on both: an admin (orchestrator rows), a key replicated to consent, a consent read there.
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/users") { Content = JsonContent.Create(new { name = "Compliance", role = "compliance" }) };
        create.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", LoopHost.BootstrapKey);
        using var created = await host.Orchestrator.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("apiKey").GetString()!;
        await Eventually.ValueAsync(async () =>
        {
            using var verify = new HttpRequestMessage(HttpMethod.Get, "/api/consent/verify");
            verify.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            using var answer = await host.Consent.SendAsync(verify);
            return answer.StatusCode;
        }, status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the consent service knows the key and reads its ledger");

        var sessions = await SessionsAsync();

        Assert.NotEmpty(sessions);
        Assert.All(sessions, user => Assert.True(user == Login("orchestrator") || user == Login("consent"),
            $"a session of {user} is open on the database; only the services' own logins should be: {string.Join(", ", sessions)}"));
    }

    [Theory]
    [InlineData("webhooks", "DELETE FROM orchestrator.api_keys")]
    [InlineData("webhooks", "UPDATE consent.consent_state SET state = state")]
    [InlineData("webhooks", "DELETE FROM consent.audit_reads")]
    [InlineData("webhooks", "SELECT count(*) FROM orchestrator.recovery_items")]
    [InlineData("orchestrator", "UPDATE consent.consent_state SET state = state")]
    [InlineData("orchestrator", "DELETE FROM webhooks.inbound_webhooks")]
    [InlineData("consent", "INSERT INTO orchestrator.users (id, name, role, created_at, created_by) VALUES (gen_random_uuid(), 'x', 'admin', now(), 'x')")]
    [InlineData("consent", "DELETE FROM webhooks.outbox")]
    [InlineData("consent", "DELETE FROM consent.audit_reads WHERE false")]
    [InlineData("consent", "UPDATE consent.ledger_checkpoints SET signature = signature WHERE false")]
    public async Task ServiceLogin_CannotTouchAnotherSchemaOrChangeWhatOnlyGrows(string service, string sql)
    {
        await using var connection = new NpgsqlConnection(Unpooled(service));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    [Theory]
    [InlineData("webhooks", "DELETE FROM webhooks.outbox WHERE false")]
    [InlineData("orchestrator", "DELETE FROM orchestrator.api_keys WHERE false")]
    [InlineData("consent", "UPDATE consent.consent_state SET state = state WHERE false")]
    [InlineData("consent", "SELECT count(*) FROM consent.schema_versions")]
    public async Task ServiceLogin_WritesItsOwnSchema(string service, string sql)
    {
        await using var connection = new NpgsqlConnection(Unpooled(service));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);

        await command.ExecuteNonQueryAsync();
    }

    // Note: not pooled, so a test's own sessions close with it and never count as a service's.
    private string Unpooled(string service) => new NpgsqlConnectionStringBuilder(host.Logins[service]) { Pooling = false }.ConnectionString;

    private string Login(string service) => new NpgsqlConnectionStringBuilder(host.Logins[service]).Username!;

    private async Task<List<string>> SessionsAsync()
    {
        // Note: read through a login of its own on another database, so this query adds no session to the one counted.
        var builder = new NpgsqlConnectionStringBuilder(await TestInfrastructure.PostgresAsync()) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT usename FROM pg_stat_activity WHERE datname = @Database AND backend_type = 'client backend'", connection);
        command.Parameters.AddWithValue("Database", new NpgsqlConnectionStringBuilder(host.Database.ConnectionString).Database!);
        var users = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            users.Add(reader.GetString(0));
        }

        return users;
    }
}
