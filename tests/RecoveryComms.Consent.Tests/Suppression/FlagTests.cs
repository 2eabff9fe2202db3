using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Consent.Suppression;

namespace RecoveryComms.Consent.Tests.Suppression;

public sealed class FlagTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    private Task<HttpResponseMessage> FlagAsync(string key, string phone, object body) =>
        host.SendAsync(key, HttpMethod.Post, $"/api/numbers/{Uri.EscapeDataString(phone)}/flags", JsonContent.Create(body));

    private Task<IReadOnlyList<(string Channel, string OldState, string NewState, string Actor)>> FlagRowsAsync(string phone) =>
        host.QueryAsync<(string Channel, string OldState, string NewState, string Actor)>(
            "SELECT channel, old_state, new_state, actor FROM consent.consent_events WHERE phone = @phone ORDER BY id", new { phone });

    [Fact]
    public async Task Csr_SetsAFlag_InTheLedgerWithTheActor_ButMayNotClearIt()
    {
        var csr = await host.KeyAsync("csr");
        var phone = Numbers.Chicago();

        var set = await FlagAsync(csr, phone, new { wrongNumber = true, note = "the customer says it is not their phone" });
        var clear = await FlagAsync(csr, phone, new { wrongNumber = false });

        Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, clear.StatusCode);
        Assert.Equal("application/problem+json", clear.Content.Headers.ContentType?.MediaType);
        var row = Assert.Single(await FlagRowsAsync(phone));
        Assert.Equal(("all", "wrong_number=false", "wrong_number=true"), (row.Channel, row.OldState, row.NewState));
        Assert.StartsWith("csr tester (", row.Actor, StringComparison.Ordinal);
        Assert.True(await host.ScalarAsync<bool>("SELECT wrong_number FROM consent.numbers WHERE phone = @phone", new { phone }));
        Assert.Contains("wrong-number", (await host.Services.GetRequiredService<SuppressionPolicy>().DecideAsync(phone, "voice", default)).Reasons);
    }

    [Theory]
    [InlineData("manager")]
    [InlineData("compliance")]
    public async Task ManagerOrCompliance_ClearsAFlag_InTheLedgerWithTheActor(string role)
    {
        var csr = await host.KeyAsync("csr");
        var clearer = await host.KeyAsync(role);
        var phone = Numbers.Chicago();
        Assert.Equal(HttpStatusCode.NoContent, (await FlagAsync(csr, phone, new { spam = true })).StatusCode);

        var clear = await FlagAsync(clearer, phone, new { spam = false, note = "a real customer after all" });

        Assert.Equal(HttpStatusCode.NoContent, clear.StatusCode);
        var rows = await FlagRowsAsync(phone);
        Assert.Equal(2, rows.Count);
        Assert.Equal(("spam=true", "spam=false"), (rows[1].OldState, rows[1].NewState));
        Assert.StartsWith($"{role} tester (", rows[1].Actor, StringComparison.Ordinal);
        Assert.False(await host.ScalarAsync<bool>("SELECT spam FROM consent.numbers WHERE phone = @phone", new { phone }));

        var compliance = await host.KeyAsync("compliance");
        var verify = await (await host.SendAsync(compliance, HttpMethod.Get, "/api/consent/verify")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
    }
}
