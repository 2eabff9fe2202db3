using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CsvHelper;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RecoveryComms.Consent.Ledger;
using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests.Ledger;

/// <summary>
/// What a database superuser can do to the ledger (disable the append-only triggers, rewrite, delete), and what
/// <c>GET /api/consent/verify</c> and signed checkpoints say about it. Each test tampers with a database of its own.
/// </summary>
public sealed class LedgerTamperTests
{
    private static async Task<(ConsentHost Host, string Compliance)> HostAsync()
    {
        var host = new ConsentHost();
        await host.InitializeAsync();
        return (host, await host.KeyAsync("compliance"));
    }

    private static async Task RecordAsync(ConsentHost host, string key, string phone, string state, string evidence, string channel = "sms")
    {
        var response = await host.SendAsync(key, HttpMethod.Post, $"/api/consent/{Uri.EscapeDataString(phone)}",
            JsonContent.Create(new { channel, state, evidence }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>Runs SQL as the superuser with the append-only triggers off, as an attacker with that role could.</summary>
    internal static async Task TamperAsync(ConsentHost host, string sql)
    {
        await using var c = new NpgsqlConnection(host.Database.ConnectionString);
        await c.ExecuteAsync($"""
            ALTER TABLE consent.consent_events DISABLE TRIGGER USER;
            {sql};
            ALTER TABLE consent.consent_events ENABLE TRIGGER USER;
            """);
    }

    private static async Task<JsonElement> VerifyAsync(ConsentHost host, string key, string query = "")
    {
        var response = await host.SendAsync(key, HttpMethod.Get, "/api/consent/verify" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Verify_NewestRowsDeleted_IsBroken_AtTheFirstMissingRow()
    {
        var (host, compliance) = await HostAsync();
        await using var _ = host;
        var phone = Numbers.Chicago();
        for (var i = 0; i < 4; i++)
        {
            await RecordAsync(host, compliance, phone, i % 2 == 0 ? "opted_out" : "express", $"change {i}");
        }

        await TamperAsync(host, "DELETE FROM consent.consent_events WHERE id > 2");

        var verify = await VerifyAsync(host, compliance);
        Assert.False(verify.GetProperty("ok").GetBoolean());
        Assert.Equal(3, verify.GetProperty("firstBrokenEventId").GetInt64());
    }

    [Fact]
    public async Task Verify_RowRewrittenWithItsOwnHashRecomputed_NamesThatRow()
    {
        var (host, compliance) = await HostAsync();
        await using var _ = host;
        var phone = Numbers.Chicago();
        for (var i = 0; i < 4; i++)
        {
            await RecordAsync(host, compliance, phone, i % 2 == 0 ? "opted_out" : "express", $"change {i}");
        }

        // Row 3 rewritten by someone who knows the canonical form: its own hash holds; only the link to row 4 breaks.
        var row = (await host.QueryAsync<ConsentEvent>($"SELECT {ConsentLedger.SelectColumns} FROM consent.consent_events WHERE id = 3")).Single();
        var forged = row with { Evidence = "forged" };
        forged = forged with { Hash = ConsentLedger.HashOf(forged) };
        await TamperAsync(host, $"UPDATE consent.consent_events SET evidence = 'forged', hash = '{forged.Hash}' WHERE id = 3");

        var verify = await VerifyAsync(host, compliance);
        Assert.False(verify.GetProperty("ok").GetBoolean());
        Assert.Equal(3, verify.GetProperty("firstBrokenEventId").GetInt64());
        Assert.Contains(verify.GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("Event 3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_RowsHashedInVersion1_StayVerifiable_AndNewRowsUseVersion2()
    {
        var (host, compliance) = await HostAsync();
        await using var _ = host;
        var phone = Numbers.Chicago();
        var at = new DateTime(2026, 1, 5, 15, 0, 0, DateTimeKind.Utc);
        // Two rows as the service wrote them before canonical version 2 existed.
        var first = new ConsentEvent(1, phone, "sms", "unknown", "express", "api", null, "tester (1)", "signed", false, at, ConsentLedger.Genesis, "", 1);
        first = first with { Hash = ConsentLedger.HashOf(first) };
        var second = new ConsentEvent(2, phone, "sms", "express", "opted_out", "keyword", "SM1", "customer", "SMS: \"STOP\"", false, at.AddMinutes(1), first.Hash, "", 1);
        second = second with { Hash = ConsentLedger.HashOf(second) };
        await using (var c = new NpgsqlConnection(host.Database.ConnectionString))
        {
            foreach (var row in new[] { first, second })
            {
                await c.ExecuteAsync("""
                    INSERT INTO consent.consent_events (id, phone, channel, old_state, new_state, source, source_ref, actor, evidence, needs_review, occurred_at, prev_hash, hash, canonical_version)
                    VALUES (@Id, @Phone, @Channel, @OldState, @NewState, @Source, @SourceRef, @Actor, @Evidence, @NeedsReview, @OccurredAt, @PrevHash, @Hash, @CanonicalVersion)
                    """, row);
            }

            await c.ExecuteAsync("""
                INSERT INTO consent.numbers (phone) VALUES (@phone);
                INSERT INTO consent.consent_state (phone, channel, state, last_event_id, updated_at) VALUES (@phone, 'sms', 'opted_out', 2, @at);
                UPDATE consent.ledger_head SET last_id = 2, last_hash = @hash
                """, new { phone, at = at.AddMinutes(1), hash = second.Hash });
        }

        await RecordAsync(host, compliance, phone, "express", "START by phone");

        var verify = await VerifyAsync(host, compliance);
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        Assert.Equal(3, verify.GetProperty("events").GetInt64());
        Assert.Equal([1, 1, 2], await host.QueryAsync<int>("SELECT canonical_version FROM consent.consent_events ORDER BY id"));
    }

    [Fact]
    public async Task Verify_TextMovedBetweenFields_OrNullMadeEmpty_IsBroken()
    {
        var (host, compliance) = await HostAsync();
        await using var _ = host;
        var phone = Numbers.Chicago();
        await RecordAsync(host, compliance, phone, "express", "signed\u001fin person");
        await RecordAsync(host, compliance, phone, "opted_out", "asked on the phone");
        await RecordAsync(host, compliance, phone, "express", "signed again");

        // Row 1: the unit separator moves "signed" from the evidence into the actor; row 2: a null reference becomes ''.
        await TamperAsync(host, """
            UPDATE consent.consent_events SET actor = actor || chr(31) || 'signed', evidence = 'in person' WHERE id = 1;
            UPDATE consent.consent_events SET source_ref = '' WHERE id = 2
            """);

        var verify = await VerifyAsync(host, compliance);
        Assert.False(verify.GetProperty("ok").GetBoolean());
        Assert.Equal(1, verify.GetProperty("firstBrokenEventId").GetInt64());
    }

    [Fact]
    public async Task Verify_EmptyReferenceInsteadOfNull_IsBroken()
    {
        var (host, compliance) = await HostAsync();
        await using var _ = host;
        var phone = Numbers.Chicago();
        await RecordAsync(host, compliance, phone, "express", "signed");
        await RecordAsync(host, compliance, phone, "opted_out", "asked on the phone");

        await TamperAsync(host, "UPDATE consent.consent_events SET source_ref = '' WHERE id = 2");

        var verify = await VerifyAsync(host, compliance);
        Assert.False(verify.GetProperty("ok").GetBoolean());
        Assert.Equal(2, verify.GetProperty("firstBrokenEventId").GetInt64());
    }

    [Fact]
    public async Task Verify_CurrentStateThatTheLedgerDoesNotGive_IsReported()
    {
        var (host, compliance) = await HostAsync();
        await using var _ = host;
        var (phone, other) = (Numbers.Chicago(), Numbers.Chicago());
        await RecordAsync(host, compliance, phone, "express", "signed");
        await RecordAsync(host, compliance, phone, "opted_out", "STOP by phone");
        await RecordAsync(host, compliance, other, "express", "signed");

        // consent_state is what the send gate reads: an opt-out quietly turned back into consent.
        await using (var c = new NpgsqlConnection(host.Database.ConnectionString))
        {
            await c.ExecuteAsync("UPDATE consent.consent_state SET state = 'express' WHERE phone = @phone AND channel = 'sms'", new { phone });
        }

        var verify = await VerifyAsync(host, compliance);
        Assert.False(verify.GetProperty("ok").GetBoolean());
        var mismatch = Assert.Single(verify.GetProperty("stateMismatches").EnumerateArray());
        Assert.Equal(phone, mismatch.GetProperty("phone").GetString());
        Assert.Equal("sms", mismatch.GetProperty("channel").GetString());
        Assert.Equal("express", mismatch.GetProperty("state").GetString());
        Assert.Equal("opted_out", mismatch.GetProperty("ledgerState").GetString());
    }

    [Fact]
    public async Task Checkpoint_SignedAndExported_ProvesARewrittenHistory_EvenWhenTheChainIsConsistent()
    {
        var (host, compliance) = await HostAsync();
        await using var _ = host;
        var admin = await host.KeyAsync("admin");
        var csr = await host.KeyAsync("csr");
        var phone = Numbers.Chicago();
        await RecordAsync(host, compliance, phone, "express", "signed the work order");
        await RecordAsync(host, compliance, phone, "opted_out", "STOP by phone");

        var created = await host.SendAsync(compliance, HttpMethod.Post, "/api/consent/checkpoints");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var checkpoint = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, checkpoint.GetProperty("eventId").GetInt64());
        var listed = await (await host.SendAsync(admin, HttpMethod.Get, "/api/consent/checkpoints")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(listed.EnumerateArray(), c => c.GetProperty("signature").GetString() == checkpoint.GetProperty("signature").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await host.SendAsync(csr, HttpMethod.Get, "/api/consent/checkpoints")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await host.SendAsync(csr, HttpMethod.Post, "/api/consent/checkpoints")).StatusCode);

        var auditorsCopy = "?eventId=" + checkpoint.GetProperty("eventId").GetInt64()
            + "&hash=" + checkpoint.GetProperty("hash").GetString()
            + "&signature=" + Uri.EscapeDataString(checkpoint.GetProperty("signature").GetString()!);
        await RecordAsync(host, compliance, phone, "express", "START by phone");
        var before = await VerifyAsync(host, compliance, auditorsCopy);
        Assert.True(before.GetProperty("ok").GetBoolean());
        Assert.True(before.GetProperty("checkpoint").GetProperty("signatureValid").GetBoolean());
        Assert.True(before.GetProperty("checkpoint").GetProperty("contained").GetBoolean());
        var forged = await VerifyAsync(host, compliance, auditorsCopy.Replace("&signature=", "&signature=AA", StringComparison.Ordinal));
        Assert.False(forged.GetProperty("ok").GetBoolean());
        Assert.False(forged.GetProperty("checkpoint").GetProperty("signatureValid").GetBoolean());

        // A superuser rebuilds the whole history with the opt-out left out: every row, link and head is consistent,
        // and the stored checkpoints are gone too. Only the key (not in the database) could sign a new checkpoint.
        await TamperAsync(host, """
            DELETE FROM consent.consent_events;
            DELETE FROM consent.consent_state;
            ALTER TABLE consent.ledger_checkpoints DISABLE TRIGGER USER;
            DELETE FROM consent.ledger_checkpoints;
            ALTER TABLE consent.ledger_checkpoints ENABLE TRIGGER USER;
            UPDATE consent.ledger_head SET last_id = 0, last_hash = repeat('0', 64)
            """);
        await RecordAsync(host, compliance, phone, "express", "signed the work order");
        await RecordAsync(host, compliance, phone, "express", "signed again");
        await RecordAsync(host, compliance, phone, "express", "START by phone");

        Assert.True((await VerifyAsync(host, compliance)).GetProperty("ok").GetBoolean());
        var after = await VerifyAsync(host, compliance, auditorsCopy);
        Assert.False(after.GetProperty("ok").GetBoolean());
        Assert.True(after.GetProperty("checkpoint").GetProperty("signatureValid").GetBoolean());
        Assert.False(after.GetProperty("checkpoint").GetProperty("contained").GetBoolean());
    }

    [Fact]
    public async Task Verify_ChangedRowUnderAStoredCheckpoint_FailsTheCheckpoint()
    {
        var (host, compliance) = await HostAsync();
        await using var _ = host;
        var phone = Numbers.Chicago();
        await RecordAsync(host, compliance, phone, "express", "signed");
        Assert.Equal(HttpStatusCode.Created, (await host.SendAsync(compliance, HttpMethod.Post, "/api/consent/checkpoints")).StatusCode);

        // The newest row deleted and the head moved back with it: the chain and head agree, the checkpoint does not.
        await TamperAsync(host, """
            DELETE FROM consent.consent_events WHERE id = 1;
            DELETE FROM consent.consent_state;
            UPDATE consent.ledger_head SET last_id = 0, last_hash = repeat('0', 64)
            """);

        var verify = await VerifyAsync(host, compliance);
        Assert.False(verify.GetProperty("ok").GetBoolean());
        Assert.Equal(1, verify.GetProperty("checkpointsFailed").GetArrayLength());
    }

    [Fact]
    public async Task Checkpoint_RowChangedSinceThePreviousCheckpoint_IsNotSigned()
    {
        var (host, compliance) = await HostAsync();
        await using var _ = host;
        var phone = Numbers.Chicago();
        await RecordAsync(host, compliance, phone, "express", "signed");
        Assert.Equal(HttpStatusCode.Created, (await host.SendAsync(compliance, HttpMethod.Post, "/api/consent/checkpoints")).StatusCode);
        for (var i = 0; i < 3; i++)
        {
            await RecordAsync(host, compliance, phone, i % 2 == 0 ? "opted_out" : "express", $"change {i}");
        }

        // The head and its row still agree: only the chain since the checkpoint shows the change.
        await TamperAsync(host, "UPDATE consent.consent_events SET evidence = 'forged' WHERE id = 3");

        var refused = await host.SendAsync(compliance, HttpMethod.Post, "/api/consent/checkpoints");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.EndsWith("ledger-chain-broken", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Contains("Event 3 was changed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, await host.ScalarAsync<long>("SELECT max(event_id) FROM consent.ledger_checkpoints"));
    }

    [Fact]
    public async Task Checkpoint_SignedRowChangedAfterItsCheckpoint_IsNotSignedAgain()
    {
        var (host, compliance) = await HostAsync();
        await using var _ = host;
        var phone = Numbers.Chicago();
        await RecordAsync(host, compliance, phone, "opted_out", "STOP by phone");
        await RecordAsync(host, compliance, phone, "express", "signed");
        Assert.Equal(HttpStatusCode.Created, (await host.SendAsync(compliance, HttpMethod.Post, "/api/consent/checkpoints")).StatusCode);

        // The signed row deleted (the head still names it); the next append links to its hash, so head and row agree.
        await TamperAsync(host, "DELETE FROM consent.consent_events WHERE id = 2");
        await RecordAsync(host, compliance, phone, "express", "signed, rewritten");

        var refused = await host.SendAsync(compliance, HttpMethod.Post, "/api/consent/checkpoints");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("Event 2, signed in checkpoint", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, await host.ScalarAsync<long>("SELECT count(*) FROM consent.ledger_checkpoints"));
    }
}

/// <summary>A host that signs a checkpoint every fraction of a second.</summary>
public sealed class FrequentCheckpointHost : ConsentHost
{
    protected override void ConfigureWebHost(IWebHostBuilder web) => web.UseSetting("Consent:CheckpointEvery", "00:00:00.200");
}

public sealed class PeriodicCheckpointTests(FrequentCheckpointHost host) : IClassFixture<FrequentCheckpointHost>
{
    [Fact]
    public async Task Checkpoints_AreSignedPeriodically_AtTheHead()
    {
        var compliance = await host.KeyAsync("compliance");
        await host.SendAsync(compliance, HttpMethod.Post, $"/api/consent/{Uri.EscapeDataString(Numbers.Chicago())}",
            JsonContent.Create(new { channel = "sms", state = "express", evidence = "signed" }));
        var head = await host.ScalarAsync<long>("SELECT last_id FROM consent.ledger_head");

        var newest = await Eventually.ValueAsync(
            () => host.ScalarAsync<long>("SELECT coalesce(max(event_id), -1) FROM consent.ledger_checkpoints"),
            id => id >= head, TimeSpan.FromSeconds(30), "a checkpoint at the head");

        Assert.True(newest >= head);
    }
}

public sealed class CheckpointWriterTamperTests
{
    [Fact]
    public async Task Writer_ChainBrokenSinceThePreviousCheckpoint_SignsNothing_AndSaysWhy()
    {
        await using var host = new FrequentCheckpointHost();
        await host.InitializeAsync();
        var compliance = await host.KeyAsync("compliance");
        var phone = Numbers.Chicago();
        await host.SendAsync(compliance, HttpMethod.Post, $"/api/consent/{Uri.EscapeDataString(phone)}",
            JsonContent.Create(new { channel = "sms", state = "opted_out", evidence = "STOP by phone" }));
        await Eventually.ValueAsync(() => host.ScalarAsync<long>("SELECT coalesce(max(event_id), 0) FROM consent.ledger_checkpoints"), id => id == 1,
            TimeSpan.FromSeconds(30), "the writer signed event 1");

        await LedgerTamperTests.TamperAsync(host, "UPDATE consent.consent_events SET new_state = 'express' WHERE id = 1");
        await host.SendAsync(compliance, HttpMethod.Post, $"/api/consent/{Uri.EscapeDataString(phone)}",
            JsonContent.Create(new { channel = "sms", state = "express", evidence = "START by phone" }));

        // Readiness reports it (degraded: the phones keep working) with the reason.
        var health = await Eventually.ValueAsync(async () => await (await host.Http.GetAsync("/health/ready")).Content.ReadAsStringAsync(),
            body => body.Contains("chain does not hold", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the writer refused and says so");
        Assert.Contains("Event 1, signed in checkpoint", health, StringComparison.Ordinal);
        Assert.Equal(1, await host.ScalarAsync<long>("SELECT max(event_id) FROM consent.ledger_checkpoints"));
    }
}

public sealed class CsvExportTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    [Theory]
    [InlineData("?page=5000000")]
    [InlineData("?page=5000000&pageSize=500")]
    [InlineData("?page=2147483647&pageSize=500")]
    public async Task Events_PageDeeperThanTheLimit_IsAClear400(string query)
    {
        var compliance = await host.KeyAsync("compliance");

        var response = await host.SendAsync(compliance, HttpMethod.Get, "/api/consent/events" + query);

        Assert.Equal((HttpStatusCode.BadRequest, "application/problem+json"), (response.StatusCode, response.Content.Headers.ContentType?.MediaType));
        Assert.Contains("events.csv", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventsCsv_IsStreamed_WithEveryRowInOrder_AndFormulasNeutralised()
    {
        var compliance = await host.KeyAsync("compliance");
        var phone = Numbers.Chicago();
        var store = host.Services.GetRequiredService<ConsentStore>();
        const int Rows = 400;
        for (var i = 0; i < Rows; i++)
        {
            await store.ChangeAsync(new ConsentChange(phone, "sms", i % 2 == 0 ? ConsentStates.Express : ConsentStates.OptedOut, "api", null, "tester",
                i == 7 ? "=HYPERLINK(\"http://evil.test\")" : $"change {i}", host.Clock.Now), default);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/consent/events.csv?phone={Uri.EscapeDataString(phone)}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", compliance);
        using var response = await host.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        // Written as read: no length is known up front (a buffered file carries its Content-Length).
        Assert.Null(response.Content.Headers.ContentLength);
        using var reader = new CsvReader(new StreamReader(await response.Content.ReadAsStreamAsync()), CultureInfo.InvariantCulture);
        Assert.True(reader.Read());
        reader.ReadHeader();
        var rows = new List<(long Id, string Evidence)>();
        while (reader.Read())
        {
            rows.Add((reader.GetField<long>("Id"), reader.GetField("Evidence")!));
        }

        Assert.Equal(Rows, rows.Count);
        Assert.Equal(rows.Select(r => r.Id).Order(), rows.Select(r => r.Id));
        Assert.Equal("'=HYPERLINK(\"http://evil.test\")", rows[7].Evidence);
        Assert.Equal("change 399", rows[^1].Evidence);
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.test\",\"click\")")]
    [InlineData("+1+cmd|' /C calc'!A0")]
    [InlineData("-2+3")]
    [InlineData("@SUM(A1:A9)")]
    [InlineData("\t=1")]
    [InlineData("\r=1")]
    public async Task EventsCsv_FormulaLikeValues_AreNeutralised_AndTimesCarryTheirOffset(string evidence)
    {
        var compliance = await host.KeyAsync("compliance");
        var phone = Numbers.Chicago();
        // Through the store: the API trims evidence, but a customer's text (a keyword's evidence) is kept as sent.
        await host.Services.GetRequiredService<ConsentStore>().ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.Express, "api", null, "tester", evidence + " signed", host.Clock.Now), default);

        var csv = await (await host.SendAsync(compliance, HttpMethod.Get, $"/api/consent/events.csv?phone={Uri.EscapeDataString(phone)}")).Content.ReadAsStringAsync();
        var json = await (await host.SendAsync(compliance, HttpMethod.Get, $"/api/consent/events?phone={Uri.EscapeDataString(phone)}")).Content.ReadFromJsonAsync<JsonElement>();

        using var reader = new CsvReader(new StringReader(csv), CultureInfo.InvariantCulture);
        Assert.True(reader.Read());
        reader.ReadHeader();
        Assert.True(reader.Read());
        Assert.Equal("'" + evidence + " signed", reader.GetField("Evidence"));
        Assert.StartsWith("'+", reader.GetField("Phone"), StringComparison.Ordinal);
        var occurredAt = reader.GetField("OccurredAt")!;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", occurredAt);
        Assert.Equal(
            DateTimeOffset.Parse(json.GetProperty("events")[0].GetProperty("occurredAt").GetString()!, CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(occurredAt, CultureInfo.InvariantCulture));
    }
}
