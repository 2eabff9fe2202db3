using System.Net;
using System.Text.Json;
using RecoveryComms.Orchestrator.Tests.Queue;

namespace RecoveryComms.Orchestrator.Tests.Owners;

/// <summary>
/// Two names on every item: a missed call on a weekday without rotation goes to the shop's fallback owners and its
/// timeline says so; settings refuse fallback owners who cannot own items; every console page says what to set up.
/// </summary>
public sealed class TwoOwnersTests(LoopHost host) : IClassFixture<LoopHost>
{
    private Task<HttpResponseMessage> PutFallbackAsync(LoopHost.User manager, Guid? primary, Guid? backup) =>
        host.PutFallbackOwnersAsync(manager, primary, backup);

    [Fact]
    public async Task A_missed_call_on_a_day_without_rotation_goes_to_the_fallback_owners_and_the_timeline_says_so()
    {
        var manager = await host.UserAsync("manager");
        var primary = await host.UserAsync("csr");
        var backup = await host.UserAsync("csr");
        using (var saved = await PutFallbackAsync(manager, primary.Id, backup.Id))
        {
            Assert.True(saved.StatusCode == HttpStatusCode.OK, await saved.Content.ReadAsStringAsync());
        }

        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(primary, phone);

        Assert.Equal(primary.Id, item.GetProperty("primaryOwner").GetProperty("id").GetGuid());
        Assert.Equal(backup.Id, item.GetProperty("backupOwner").GetProperty("id").GetGuid());
        var created = (await host.DetailAsync(primary, item.GetProperty("id").GetGuid())).GetProperty("timeline").EnumerateArray()
            .First(t => t.GetProperty("kind").GetString() == "created");
        Assert.Contains("Tuesday has no rotation: the shop's fallback owners take it.", created.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fallback_owners_must_be_two_different_people_who_can_own_items()
    {
        var manager = await host.UserAsync("manager");
        var csr = await host.UserAsync("csr");
        var compliance = await host.UserAsync("compliance");

        using var same = await PutFallbackAsync(manager, csr.Id, csr.Id);
        using var notStaff = await PutFallbackAsync(manager, csr.Id, compliance.Id);
        using var unknown = await PutFallbackAsync(manager, csr.Id, Guid.NewGuid());

        Assert.Equal(HttpStatusCode.BadRequest, same.StatusCode);
        Assert.Contains("two different people", await same.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, notStaff.StatusCode);
        Assert.Contains("existing CSRs, managers or admins", await notStaff.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task Every_console_page_says_which_weekdays_have_no_rotation()
    {
        var csr = await host.UserAsync("csr");

        var shop = await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(csr, HttpMethod.Get, "/api/console/shop"));

        var setup = shop.GetProperty("setup").EnumerateArray().Select(w => w.GetString()!).ToList();
        Assert.Contains(setup, w => w.StartsWith("No primary and backup in the rotation for Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday", StringComparison.Ordinal));
    }
}

/// <summary>A shop with no staff yet: a missed call still becomes an item, and the console says what to set up.</summary>
public sealed class NoStaffTests(LoopHost host) : IClassFixture<LoopHost>
{
    [Fact]
    public async Task A_shop_without_staff_still_gets_the_item_and_is_told_what_to_set_up()
    {
        var admin = await host.UserAsync("admin");
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(admin, phone);

        Assert.Equal(JsonValueKind.Null, item.GetProperty("primaryOwner").ValueKind);
        var created = (await host.DetailAsync(admin, item.GetProperty("id").GetGuid())).GetProperty("timeline").EnumerateArray()
            .First(t => t.GetProperty("kind").GetString() == "created");
        Assert.Contains("No staff can own this item", created.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var shop = await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(admin, HttpMethod.Get, "/api/console/shop"));
        Assert.StartsWith("No staff yet", shop.GetProperty("setup")[0].GetString(), StringComparison.Ordinal);
    }
}
