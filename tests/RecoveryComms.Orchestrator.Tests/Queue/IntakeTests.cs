using System.Net;
using System.Text.Json;
using Dapper;
using Npgsql;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Queue;

public sealed class IntakeTests(LoopHost host) : IClassFixture<LoopHost>
{
    [Fact]
    public async Task MissedCall_BecomesAnItem_WithTheContractFieldsAndClock()
    {
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();

        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(csr, phone);

        Assert.Equal("missed-call", item.GetProperty("type").GetString());
        Assert.Equal("needs-callback", item.GetProperty("status").GetString());
        Assert.Equal("phone:" + phone, item.GetProperty("contactKey").GetString());
        Assert.Equal(1, item.GetProperty("occurrences").GetInt32());
        Assert.Equal(0, item.GetProperty("attempts").GetInt32());
        Assert.False(item.GetProperty("smsSent").GetBoolean());
        Assert.False(item.GetProperty("voicemailLeft").GetBoolean());
        Assert.False(item.GetProperty("afterHours").GetBoolean());
        var created = item.GetProperty("createdAt").GetDateTimeOffset();
        Assert.Equal(host.Clock.Now, created);
        Assert.Equal(created.AddMinutes(5), item.GetProperty("firstAttemptDueAt").GetDateTimeOffset());
        Assert.Equal(created.AddMinutes(15), item.GetProperty("slaDueAt").GetDateTimeOffset());
        foreach (var field in new[] { "id", "primaryOwner", "backupOwner", "transcript", "accountName" })
        {
            Assert.True(item.TryGetProperty(field, out _), $"the item has {field}");
        }
    }

    [Fact]
    public async Task RepeatCall_IsMergedIntoTheOpenItem_KeepingItsPlace_AndARedeliveryChangesNothing()
    {
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();
        var first = host.Clock.Now;
        var sid = LoopHost.NewSid("CA");
        var missed = new MissedCallCaptured(Guid.NewGuid(), sid, phone, false, LoopHost.ShopLine, false, "no-answer", first);
        await host.PublishAsync(missed);
        var item = await host.ItemOfAsync(csr, phone);

        await host.MissAsync(phone, first.AddMinutes(3));
        await host.ItemOfAsync(csr, phone, i => i.GetProperty("occurrences").GetInt32() == 2);
        await host.PublishAsync(missed);
        await host.MissAsync(phone, first.AddMinutes(4));
        var merged = await host.ItemOfAsync(csr, phone, i => i.GetProperty("occurrences").GetInt32() == 3);

        Assert.Equal(item.GetProperty("id").GetGuid(), merged.GetProperty("id").GetGuid());
        Assert.Equal(first, merged.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Single(await host.ItemsAsync(csr), i => i.GetProperty("phone").GetString() == phone);
        var detail = await host.DetailAsync(csr, merged.GetProperty("id").GetGuid());
        Assert.Equal(3, detail.GetProperty("occurrences").GetArrayLength());
    }

    [Fact]
    public async Task ConcurrentCalls_FromOneCustomer_MakeOneItem()
    {
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => host.MissAsync(phone, host.Clock.Now.AddSeconds(i))));
        await host.ItemOfAsync(csr, phone, i => i.GetProperty("occurrences").GetInt32() == 20);

        await using var c = new NpgsqlConnection(host.Database.ConnectionString);
        Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM orchestrator.recovery_items WHERE phone = @phone", new { phone }));
    }

    [Fact]
    public async Task CallsFromTwoNumbersOfOneAccount_MergeThroughContactResolution()
    {
        var admin = await host.UserAsync("admin");
        var csr = await host.UserAsync("csr");
        await host.KnownToConsentAsync(admin);
        var (home, cell) = (LoopHost.NewPhone(), LoopHost.NewPhone());
        var saved = await host.Consent.SendAsync(LoopHost.As(admin.ApiKey, HttpMethod.Post, "/api/accounts",
            System.Net.Http.Json.JsonContent.Create(new { externalRef = "crm-" + Guid.NewGuid().ToString("N")[..8], name = "Pat Doe", phones = new[] { home, cell } })));
        Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());

        await host.MissAsync(home);
        await host.ItemOfAsync(csr, home);
        await host.MissAsync(cell, host.Clock.Now.AddMinutes(1));
        var item = await host.ItemOfAsync(csr, home, i => i.GetProperty("occurrences").GetInt32() == 2);

        Assert.Equal("Pat Doe", item.GetProperty("accountName").GetString());
        Assert.StartsWith("account:", item.GetProperty("contactKey").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithheldCaller_IsCounted_AsAnItemNobodyCanCallBack()
    {
        var csr = await host.UserAsync("csr");
        var sid = LoopHost.NewSid("CA");
        await host.PublishAsync(new MissedCallCaptured(Guid.NewGuid(), sid, "anonymous", true, LoopHost.ShopLine, false, "no-answer", host.Clock.Now));

        var item = await Eventually.ValueAsync(
            async () => (await host.ItemsAsync(csr)).FirstOrDefault(i => i.GetProperty("contactKey").GetString() == "withheld:" + sid),
            i => i.ValueKind == JsonValueKind.Object, TimeSpan.FromSeconds(20), "the withheld caller's item");

        Assert.Equal(JsonValueKind.Null, item.GetProperty("phone").ValueKind);
        Assert.True(item.GetProperty("cannotCallBack").GetBoolean());
        var claim = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{item.GetProperty("id").GetGuid()}/claim");
        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        var call = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{item.GetProperty("id").GetGuid()}/call");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, call.StatusCode);
        Assert.Contains("cannot-call-back", await call.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Voicemail_AfterTheMissOfTheSameCall_UpgradesTheItem_AndTheTranscriptFollows()
    {
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();
        var sid = await host.MissAsync(phone);
        await host.ItemOfAsync(csr, phone);

        await host.PublishAsync(new VoicemailCaptured(Guid.NewGuid(), sid, "RE" + Guid.NewGuid().ToString("N"), "https://api.twilio.com/rec", 30, phone, false,
            LoopHost.ShopLine, false, false, null, host.Clock.Now));
        await host.ItemOfAsync(csr, phone, i => i.GetProperty("type").GetString() == "voicemail");
        await host.PublishAsync(new VoicemailTranscribed(Guid.NewGuid(), sid, "RE1", "TR1", "completed", "My water heater is leaking", LoopHost.ShopLine, false, host.Clock.Now));
        var item = await host.ItemOfAsync(csr, phone, i => i.GetProperty("transcript").GetString() == "My water heater is leaking");

        Assert.Equal(1, item.GetProperty("occurrences").GetInt32());
    }

    [Fact]
    public async Task StaffVoicemail_NeverBecomesAnItem()
    {
        var csr = await host.UserAsync("csr");
        var staff = LoopHost.NewPhone();
        var customer = LoopHost.NewPhone();

        await host.PublishAsync(new VoicemailCaptured(Guid.NewGuid(), LoopHost.NewSid("CA"), LoopHost.NewSid("RE"), "https://api.twilio.com/rec", 12, staff, false,
            LoopHost.ShopLine, false, true, null, host.Clock.Now));
        await host.MissAsync(customer);
        await host.ItemOfAsync(csr, customer);

        Assert.DoesNotContain(await host.ItemsAsync(csr), i => i.GetProperty("phone").GetString() == staff);
    }
}
