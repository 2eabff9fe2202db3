using System.Net;
using System.Text.Json;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Queue;

/// <summary>What the manager's pages of the console call: the staff list, escalating by hand, and the scorecard's trend per figure.</summary>
public sealed class ManagerActionTests(LoopHost host) : IClassFixture<LoopHost>
{
    private static Guid Id(JsonElement item) => item.GetProperty("id").GetGuid();

    [Fact]
    public async Task Staff_ListsCsrsAndManagers_WithoutPhonesOrKeys_ForManagersOnly()
    {
        var manager = await host.UserAsync("manager", "+13125550100");
        var csr = await host.UserAsync("csr", "+13125550101");
        var compliance = await host.UserAsync("compliance");

        var asManager = await host.SendAsync(manager, HttpMethod.Get, "/api/staff");
        var asCsr = await host.SendAsync(csr, HttpMethod.Get, "/api/staff");
        var staff = await LoopHost.ReadAsync<JsonElement>(asManager);

        Assert.Equal(HttpStatusCode.OK, asManager.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, asCsr.StatusCode);
        var ids = staff.EnumerateArray().Select(person => person.GetProperty("id").GetGuid()).ToList();
        Assert.Contains(manager.Id, ids);
        Assert.Contains(csr.Id, ids);
        Assert.DoesNotContain(compliance.Id, ids);
        Assert.All(staff.EnumerateArray(), person => Assert.Equal(["id", "name", "role"], person.EnumerateObject().Select(p => p.Name).Order()));
    }

    [Fact]
    public async Task AManager_EscalatesAnOpenItem_Once_AndACsrCannot()
    {
        var manager = await host.UserAsync("manager");
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(csr, phone);

        var byCsr = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{Id(item)}/escalate");
        var first = await host.SendAsync(manager, HttpMethod.Post, $"/api/recoveries/{Id(item)}/escalate");
        var second = await host.SendAsync(manager, HttpMethod.Post, $"/api/recoveries/{Id(item)}/escalate");

        Assert.Equal(HttpStatusCode.Forbidden, byCsr.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("escalated", (await LoopHost.ReadAsync<JsonElement>(first)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var escalated = await host.ItemsAsync(manager, "escalated");
        Assert.Contains(escalated, i => Id(i) == Id(item));
        var timeline = (await host.DetailAsync(manager, Id(item))).GetProperty("timeline").EnumerateArray().ToList();
        Assert.Contains(timeline, entry => entry.GetProperty("kind").GetString() == "escalated" && entry.GetProperty("actorName").GetString() == manager.Name);
    }

    [Fact]
    public async Task Scorecard_GivesEveryFigureAValuePerDay_OverThePeriod()
    {
        var manager = await host.UserAsync("manager");
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(csr, phone);
        await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{Id(item)}/claim");
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{Id(item)}/disposition",
            new { outcome = "booked-job", reason = "price-shopper" })).StatusCode);
        var from = host.Clock.Now.AddDays(-2);
        var to = host.Clock.Now.AddHours(1);

        var card = await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(manager, HttpMethod.Get,
            $"/api/scorecard?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}"));

        var figures = card.GetProperty("figures").EnumerateArray().ToList();
        Assert.NotEmpty(figures);
        foreach (var figure in figures)
        {
            var trend = figure.GetProperty("trend").EnumerateArray().ToList();
            Assert.Equal(3, trend.Count);
            Assert.Equal(trend.Select(d => d.GetProperty("date").GetString()).Order(StringComparer.Ordinal), trend.Select(d => d.GetProperty("date").GetString()));
        }

        var recovery = figures.Single(f => f.GetProperty("name").GetString() == "recoveryRate");
        var today = recovery.GetProperty("trend").EnumerateArray().Last();
        Assert.True(today.GetProperty("basis").GetInt64() >= 1);
        Assert.True(today.GetProperty("value").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, recovery.GetProperty("trend").EnumerateArray().First().GetProperty("value").ValueKind);
    }

    [Fact]
    public async Task AnItemEscalatedByHand_IsNotEscalatedAgain_WhenItsSlaRunsOut()
    {
        var manager = await host.UserAsync("manager");
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(manager, phone);
        var escalated = await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(manager, HttpMethod.Post, $"/api/recoveries/{Id(item)}/escalate"));

        await host.AdvanceAsync(TimeSpan.FromMinutes(16));

        var detail = await host.DetailAsync(manager, Id(item));
        Assert.Single(detail.GetProperty("timeline").EnumerateArray(), entry => entry.GetProperty("kind").GetString() == "escalated");
        Assert.Equal(escalated.GetProperty("escalatedAt").GetDateTimeOffset(), detail.GetProperty("item").GetProperty("escalatedAt").GetDateTimeOffset());
    }

}
