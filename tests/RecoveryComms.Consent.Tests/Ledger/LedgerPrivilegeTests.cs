using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace RecoveryComms.Consent.Tests.Ledger;

/// <summary>The consent service as deployed: migrations as the owner, the service as a login in <c>recoverycomms_app</c>.</summary>
public sealed class AppLoginConsentHost : ConsentHost
{
    public string AppConnectionString { get; private set; } = "";

    protected override void ConfigureWebHost(IWebHostBuilder web)
    {
        AppConnectionString = Database.AppLoginAsync("consent").GetAwaiter().GetResult();
        web.UseSetting("ConnectionStrings:PostgresMigrations", Database.ConnectionString);
        web.UseSetting("ConnectionStrings:Postgres", AppConnectionString);
    }
}

public sealed class LedgerPrivilegeTests(AppLoginConsentHost host) : IClassFixture<AppLoginConsentHost>
{
    [Fact]
    public async Task AppLogin_RecordsAndVerifies_ButCannotChangeDeleteTruncateOrUnguardTheLedger()
    {
        var compliance = await host.KeyAsync("compliance");
        var phone = Numbers.Chicago();
        var recorded = await host.SendAsync(compliance, HttpMethod.Post, $"/api/consent/{Uri.EscapeDataString(phone)}",
            JsonContent.Create(new { channel = "sms", state = "express", source = "paper-form", evidence = "signed form 17" }));
        var verify = await host.SendAsync(compliance, HttpMethod.Get, "/api/consent/verify");
        Assert.True(recorded.IsSuccessStatusCode, await recorded.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);

        await using var app = new NpgsqlConnection(host.AppConnectionString);
        await app.OpenAsync();
        Assert.True(await ScalarAsync<long>(app, "SELECT count(*) FROM consent.consent_events") > 0);
        foreach (var (sql, refusal) in new[]
        {
            ("UPDATE consent.consent_events SET actor = 'someone else'", "permission denied"),
            ("DELETE FROM consent.consent_events", "permission denied"),
            ("TRUNCATE consent.consent_events", "permission denied"),
            ("ALTER TABLE consent.consent_events DISABLE TRIGGER consent_events_append_only", "must be owner"),
            ("ALTER TABLE consent.consent_events DISABLE TRIGGER ALL", "must be owner"),
            ("DROP TRIGGER consent_events_append_only ON consent.consent_events", "must be owner"),
            ("SET session_replication_role = replica", "permission denied"),
        })
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<object>(app, sql));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
            Assert.Contains(refusal, e.MessageText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AppLogin_CannotChangeOrRemoveCheckpointsOrAuditReads()
    {
        var compliance = await host.KeyAsync("compliance");
        await host.SendAsync(compliance, HttpMethod.Post, $"/api/consent/{Uri.EscapeDataString(Numbers.Chicago())}",
            JsonContent.Create(new { channel = "sms", state = "express", source = "paper-form", evidence = "signed form 18" }));
        var signed = await host.SendAsync(compliance, HttpMethod.Post, "/api/consent/checkpoints");
        Assert.Equal(HttpStatusCode.Created, signed.StatusCode);

        await using var app = new NpgsqlConnection(host.AppConnectionString);
        await app.OpenAsync();
        Assert.True(await ScalarAsync<long>(app, "SELECT count(*) FROM consent.ledger_checkpoints") > 0);
        Assert.True(await ScalarAsync<long>(app, "SELECT count(*) FROM consent.audit_reads") > 0);
        // Note: the checkpoints' trigger refuses a change with the same SQLSTATE, so the message tells the grant's
        // refusal ("permission denied") from the trigger's ("append-only").
        foreach (var sql in new[]
        {
            "UPDATE consent.ledger_checkpoints SET signature = 'forged'",
            "DELETE FROM consent.ledger_checkpoints",
            "TRUNCATE consent.ledger_checkpoints",
            "UPDATE consent.audit_reads SET reader_name = 'nobody'",
            "DELETE FROM consent.audit_reads",
            "TRUNCATE consent.audit_reads",
        })
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<object>(app, sql));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
            Assert.Contains("permission denied", e.MessageText, StringComparison.Ordinal);
        }

        Assert.True(await ScalarAsync<long>(app, "SELECT count(*) FROM consent.audit_reads") > 0);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
