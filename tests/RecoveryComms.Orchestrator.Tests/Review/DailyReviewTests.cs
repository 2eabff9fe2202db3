using System.Text.Json;
using RecoveryComms.Orchestrator.Tests.Queue;

namespace RecoveryComms.Orchestrator.Tests.Review;

/// <summary>The day's review tells a quiet day from a day whose items were all recovered: it says how many came in.</summary>
public sealed class DailyReviewTests(LoopHost host) : IClassFixture<LoopHost>
{
    private async Task<JsonElement> DailyAsync(LoopHost.User manager, string date) =>
        await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(manager, HttpMethod.Get, $"/api/review/daily?date={date}"));

    [Fact]
    public async Task A_day_without_items_says_none_came_in_and_a_day_with_one_counts_it()
    {
        var manager = await host.UserAsync("manager");
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        await host.ItemOfAsync(manager, phone);

        var quiet = await DailyAsync(manager, "2026-11-20");
        var today = await DailyAsync(manager, "2026-11-24");

        Assert.Equal(0, quiet.GetProperty("total").GetInt64());
        Assert.Empty(quiet.GetProperty("unrecovered").EnumerateArray());
        Assert.Equal(1, today.GetProperty("total").GetInt64());
        Assert.Single(today.GetProperty("unrecovered").EnumerateArray());
    }
}
