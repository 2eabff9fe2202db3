using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RecoveryComms.Consent.Ledger;

namespace RecoveryComms.Consent.Tests.Ledger;

public sealed class LedgerTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    private ConsentStore Store => host.Services.GetRequiredService<ConsentStore>();

    private async Task<JsonElement> VerifyAsync(string key) =>
        await (await host.SendAsync(key, HttpMethod.Get, "/api/consent/verify")).Content.ReadFromJsonAsync<JsonElement>();

    [Fact]
    public async Task Changes_AreChained_AndVerify()
    {
        var compliance = await host.KeyAsync("compliance");
        var phone = Numbers.Chicago();

        await Store.ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.Express, "api", null, "tester", "signed the work order", host.Clock.Now), default);
        await Store.ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.OptedOut, "keyword", "SM" + Guid.NewGuid().ToString("N"), "customer", "SMS: \"STOP\"", host.Clock.Now), default);

        var rows = await host.QueryAsync<(long Id, string PrevHash, string Hash, string OldState)>(
            "SELECT id, prev_hash, hash, old_state FROM consent.consent_events WHERE phone = @phone ORDER BY id", new { phone });
        Assert.Equal(2, rows.Count);
        Assert.Equal(("unknown", "express"), (rows[0].OldState, rows[1].OldState));
        Assert.Equal(rows[0].Hash, await host.ScalarAsync<string>("SELECT prev_hash FROM consent.consent_events WHERE id = @id", new { id = rows[0].Id + 1 }));
        var verify = await VerifyAsync(compliance);
        Assert.True(verify.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task UpdateOrDelete_InSql_IsRefusedByTheDatabase()
    {
        var phone = Numbers.Chicago();
        await Store.ChangeAsync(new ConsentChange(phone, "voice", ConsentStates.DoNotContact, "api", null, "tester", "asked on the phone", host.Clock.Now), default);
        await using var c = new NpgsqlConnection(host.Database.ConnectionString);

        var update = await Assert.ThrowsAsync<PostgresException>(() => c.ExecuteAsync("UPDATE consent.consent_events SET new_state = 'express' WHERE phone = @phone", new { phone }));
        var delete = await Assert.ThrowsAsync<PostgresException>(() => c.ExecuteAsync("DELETE FROM consent.consent_events WHERE phone = @phone", new { phone }));
        var truncate = await Assert.ThrowsAsync<PostgresException>(() => c.ExecuteAsync("TRUNCATE consent.consent_events"));

        Assert.All(new[] { update, delete, truncate }, e => Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState));
        Assert.Equal("do_not_contact", await host.ScalarAsync<string>("SELECT new_state FROM consent.consent_events WHERE phone = @phone", new { phone }));
    }

    [Fact]
    public async Task Verify_RowAlteredWithTheTriggerDisabled_NamesTheFirstBrokenRow()
    {
        // Its own database: tampering must not break the chain other tests verify.
        await using var tampered = new ConsentHost();
        await tampered.InitializeAsync();
        var store = tampered.Services.GetRequiredService<ConsentStore>();
        var compliance = await tampered.KeyAsync("compliance");
        var phone = Numbers.Chicago();
        for (var i = 0; i < 4; i++)
        {
            await store.ChangeAsync(new ConsentChange(phone, "sms", i % 2 == 0 ? ConsentStates.OptedOut : ConsentStates.Express, "api", null, "tester", $"change {i}", tampered.Clock.Now), default);
        }

        await using (var c = new NpgsqlConnection(tampered.Database.ConnectionString))
        {
            await c.ExecuteAsync("""
                ALTER TABLE consent.consent_events DISABLE TRIGGER consent_events_append_only;
                UPDATE consent.consent_events SET evidence = 'forged' WHERE id = 3;
                ALTER TABLE consent.consent_events ENABLE TRIGGER consent_events_append_only;
                """);
        }

        var verify = await (await tampered.SendAsync(compliance, HttpMethod.Get, "/api/consent/verify")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(verify.GetProperty("ok").GetBoolean());
        Assert.Equal(3, verify.GetProperty("firstBrokenEventId").GetInt64());
    }

    [Fact]
    public async Task AuditApi_ComplianceReads_AreLogged_CsrIsForbidden()
    {
        var compliance = await host.KeyAsync("compliance");
        var csr = await host.KeyAsync("csr");
        var phone = Numbers.Chicago();
        await Store.ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.OptedOut, "keyword", "SM" + Guid.NewGuid().ToString("N"), "customer", "SMS: \"STOP\"", host.Clock.Now), default);

        var forbidden = await host.SendAsync(csr, HttpMethod.Get, "/api/consent/events");
        var state = await host.SendAsync(compliance, HttpMethod.Get, $"/api/consent/{Uri.EscapeDataString(phone)}");
        var page = await (await host.SendAsync(compliance, HttpMethod.Get, $"/api/consent/events?phone={Uri.EscapeDataString(phone)}&type=opted_out&page=1&pageSize=10"))
            .Content.ReadFromJsonAsync<JsonElement>();
        var csv = await host.SendAsync(compliance, HttpMethod.Get, $"/api/consent/events.csv?phone={Uri.EscapeDataString(phone)}");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.OK, state.StatusCode);
        Assert.Equal(1, page.GetProperty("total").GetInt64());
        Assert.Equal("opted_out", page.GetProperty("events")[0].GetProperty("newState").GetString());
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(phone, lines[1], StringComparison.Ordinal);
        Assert.Equal(3, await host.ScalarAsync<long>(
            "SELECT count(*) FROM consent.audit_reads WHERE reader_name = 'compliance tester' AND query LIKE '%' || @q || '%' OR route = @route",
            new { q = Uri.EscapeDataString(phone), route = $"/api/consent/{phone}" }));
    }

    [Theory]
    [InlineData("{\"channel\":\"fax\",\"state\":\"express\",\"evidence\":\"x\"}", "channel")]
    [InlineData("{\"channel\":\"sms\",\"state\":\"maybe\",\"evidence\":\"x\"}", "state")]
    [InlineData("{\"channel\":\"sms\",\"state\":\"express\",\"evidence\":\"\"}", "evidence")]
    public async Task RecordConsent_InvalidInput_Is400NamingTheField(string json, string field)
    {
        var compliance = await host.KeyAsync("compliance");

        var response = await host.SendAsync(compliance, HttpMethod.Post, $"/api/consent/{Uri.EscapeDataString(Numbers.Chicago())}",
            new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordConsent_ByCompliance_IsInTheLedgerWithTheUser()
    {
        var compliance = await host.KeyAsync("compliance");
        var phone = Numbers.Chicago();

        var response = await host.SendAsync(compliance, HttpMethod.Post, $"/api/consent/{Uri.EscapeDataString(phone)}",
            JsonContent.Create(new { channel = "sms", state = "express", evidence = "Signed consent on work order 4411" }));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var row = (await host.QueryAsync<(string Source, string Actor, string Evidence)>(
            "SELECT source, actor, evidence FROM consent.consent_events WHERE phone = @phone", new { phone })).Single();
        Assert.Equal("api", row.Source);
        Assert.StartsWith("compliance tester", row.Actor, StringComparison.Ordinal);
        Assert.Equal("Signed consent on work order 4411", row.Evidence);
    }
}
