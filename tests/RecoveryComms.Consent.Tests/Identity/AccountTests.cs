using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace RecoveryComms.Consent.Tests.Identity;

public sealed class AccountTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    private static StringContent Csv(string text) => new(text, Encoding.UTF8, "text/csv");

    // Note: the route is the contract's "services": every read goes through a service key (ConsentRouteRoleTests
    // has the staff keys it refuses).
    private async Task<JsonElement> ResolveAsync(string phone)
    {
        var key = await host.KeyAsync("service");
        var response = await host.SendAsync(key, HttpMethod.Get, $"/api/contacts/resolve?phone={Uri.EscapeDataString(phone)}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Resolve_HusbandAndWifeOfOneAccount_ShareOneContactKey()
    {
        var admin = await host.KeyAsync("admin");
        var (husband, wife, other) = (Numbers.Chicago(), Numbers.Chicago(), Numbers.Chicago());
        var reference = "CRM-" + Guid.NewGuid().ToString("N")[..8];

        var saved = await host.SendAsync(admin, HttpMethod.Post, "/api/accounts",
            JsonContent.Create(new { externalRef = reference, name = "The Garcias", phones = new[] { husband, wife[2..] } }));

        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        var a = await ResolveAsync(husband);
        var b = await ResolveAsync($"({wife[2..5]}) {wife[5..8]}-{wife[8..]}");
        var c = await ResolveAsync(other);
        Assert.Equal(a.GetProperty("contactKey").GetString(), b.GetProperty("contactKey").GetString());
        Assert.StartsWith("account:", a.GetProperty("contactKey").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, a.GetProperty("phones").GetArrayLength());
        Assert.Equal("phone:" + other, c.GetProperty("contactKey").GetString());
    }

    [Fact]
    public async Task Resolve_WithheldCaller_HasNoContactKey_InvalidNumber_Is400()
    {
        var service = await host.KeyAsync("service");

        var withheld = await ResolveAsync("anonymous");
        var invalid = await host.SendAsync(service, HttpMethod.Get, "/api/contacts/resolve?phone=12");

        Assert.True(withheld.GetProperty("withheld").GetBoolean());
        Assert.Equal(JsonValueKind.Null, withheld.GetProperty("contactKey").ValueKind);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("application/problem+json", invalid.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Import_BadRowsAreReportedByLine_GoodRowsImport_ReimportChangesNothing()
    {
        var integration = await host.KeyAsync("integration");
        var tag = Guid.NewGuid().ToString("N")[..6];
        var (p1, p2, p3) = (Numbers.Chicago(), Numbers.Chicago(), Numbers.Chicago());
        var file = $"""
            external_ref,name,phones,time_zone
            A-{tag},Alvarez,{p1};{p2},America/Chicago
            B-{tag},Brown,not-a-phone,
            C-{tag},"Chen, Li",{p3},
            D-{tag},Diaz,{p3},Mars/Olympus
            """;

        var first = await (await host.SendAsync(integration, HttpMethod.Post, "/api/accounts/import", Csv(file))).Content.ReadFromJsonAsync<JsonElement>();
        var again = await (await host.SendAsync(integration, HttpMethod.Post, "/api/accounts/import", Csv(file))).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(2, first.GetProperty("created").GetInt32());
        var errors = first.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("line").GetInt32()).ToArray();
        Assert.Equal([3, 5], errors);
        Assert.Equal(0, again.GetProperty("created").GetInt32());
        Assert.Equal(0, again.GetProperty("updated").GetInt32());
        Assert.Equal(2, again.GetProperty("unchanged").GetInt32());
        Assert.Equal(1, await host.ScalarAsync<long>("SELECT count(*) FROM consent.accounts WHERE external_ref = @r", new { r = $"C-{tag}" }));
    }

    [Fact]
    public async Task SaveAccount_NumberOfAnotherAccount_Is409_CsrKey_Is403()
    {
        var admin = await host.KeyAsync("admin");
        var csr = await host.KeyAsync("csr");
        var phone = Numbers.Chicago();
        await host.SendAsync(admin, HttpMethod.Post, "/api/accounts", JsonContent.Create(new { externalRef = "X-" + Guid.NewGuid(), name = "X", phones = new[] { phone } }));

        var taken = await host.SendAsync(admin, HttpMethod.Post, "/api/accounts", JsonContent.Create(new { externalRef = "Y-" + Guid.NewGuid(), name = "Y", phones = new[] { phone } }));
        var byCsr = await host.SendAsync(csr, HttpMethod.Post, "/api/accounts", JsonContent.Create(new { externalRef = "Z", name = "Z", phones = new[] { Numbers.Chicago() } }));

        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byCsr.StatusCode);
    }
}
