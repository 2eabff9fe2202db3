using System.Net;
using System.Text.Json;
using Dapper;
using Npgsql;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Queue;

/// <summary>The loop's clock: backup trigger, escalation, the after-hours morning start, end of day, across replicas and restarts.</summary>
public sealed class TimerTests(LoopHost host) : IClassFixture<LoopHost>
{
    private async Task<(LoopHost.User Primary, LoopHost.User Backup, LoopHost.User Manager)> RotationAsync()
    {
        var primary = await host.UserAsync("csr", LoopHost.NewPhone());
        var backup = await host.UserAsync("csr", LoopHost.NewPhone());
        var manager = await host.UserAsync("manager", LoopHost.NewPhone());
        foreach (var day in new[] { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" })
        {
            var set = await host.SendAsync(manager, HttpMethod.Put, $"/api/rotation/{day}",
                new { primaryUserId = primary.Id, backupUserId = backup.Id, managerUserId = manager.Id });
            Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        }

        return (primary, backup, manager);
    }

    private static Guid Id(JsonElement item) => item.GetProperty("id").GetGuid();

    private static Guid? Owner(JsonElement item, string which) =>
        item.GetProperty(which).ValueKind == JsonValueKind.Null ? null : item.GetProperty(which).GetProperty("id").GetGuid();

    [Fact]
    public async Task Untouched_ForFiveMinutes_GoesToTheBackup_AndAtFifteenIsEscalated_EachOnce()
    {
        var (primary, backup, manager) = await RotationAsync();
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(primary, phone);
        Assert.Equal(primary.Id, Owner(item, "primaryOwner"));
        Assert.Equal(backup.Id, Owner(item, "backupOwner"));

        await host.AdvanceAsync(TimeSpan.FromMinutes(4));
        Assert.Equal(primary.Id, Owner(await host.ItemOfAsync(primary, phone), "primaryOwner"));
        await host.AdvanceAsync(TimeSpan.FromMinutes(1));
        item = await host.ItemOfAsync(primary, phone, i => i.GetProperty("backupTriggeredAt").ValueKind != JsonValueKind.Null);
        Assert.Equal(backup.Id, Owner(item, "primaryOwner"));
        Assert.Equal(primary.Id, Owner(item, "backupOwner"));
        Assert.Equal("needs-callback", item.GetProperty("status").GetString());

        await host.AdvanceAsync(TimeSpan.FromMinutes(10));
        item = await host.ItemOfAsync(primary, phone, i => i.GetProperty("status").GetString() == "escalated");
        Assert.Contains(await host.ItemsAsync(manager, "escalated"), i => Id(i) == Id(item));
        await host.AdvanceAsync(TimeSpan.FromMinutes(30));

        var timeline = (await host.DetailAsync(manager, Id(item))).GetProperty("timeline").EnumerateArray().Select(t => t.GetProperty("kind").GetString()).ToList();
        Assert.Single(timeline, k => k == "backup-triggered");
        Assert.Single(timeline, k => k == "escalated");
        await using var c = new NpgsqlConnection(host.Database.ConnectionString);
        var alerts = (await c.QueryAsync<(string Trigger, Guid UserId)>("SELECT trigger, user_id FROM orchestrator.staff_alerts WHERE item_id = @Id", new { Id = Id(item) })).ToList();
        Assert.Contains(("backup-triggered", backup.Id), alerts);
        Assert.Contains(("escalated", manager.Id), alerts);
    }

    [Fact]
    public async Task Claimed_BeforeFiveMinutes_NoBackupTrigger_AndAnAttempt_NoEscalation()
    {
        var (primary, _, _) = await RotationAsync();
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(primary, phone);
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(primary, HttpMethod.Post, $"/api/recoveries/{Id(item)}/claim")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await host.SendAsync(primary, HttpMethod.Post, $"/api/recoveries/{Id(item)}/call")).StatusCode);

        await host.AdvanceAsync(TimeSpan.FromMinutes(20));

        item = await host.ItemOfAsync(primary, phone);
        Assert.Equal(JsonValueKind.Null, item.GetProperty("backupTriggeredAt").ValueKind);
        Assert.Equal("in-progress", item.GetProperty("status").GetString());
        Assert.Equal(primary.Id, Owner(item, "primaryOwner"));
    }

    [Fact]
    public async Task AfterHoursCall_OnSaturdayNight_StartsItsClockAtMondaysOpening_DueBy0830()
    {
        var (primary, _, _) = await RotationAsync();
        var phone = LoopHost.NewPhone();
        // Saturday 28 November 2026, 20:00 in Chicago (UTC-6).
        var saturdayNight = new DateTimeOffset(2026, 11, 29, 2, 0, 0, TimeSpan.Zero);
        await host.MissAsync(phone, saturdayNight, afterHours: true);

        var item = await host.ItemOfAsync(primary, phone);

        Assert.True(item.GetProperty("afterHours").GetBoolean());
        Assert.Contains(await host.ItemsAsync(primary, "after-hours"), i => Id(i) == Id(item));
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 14, 0, 0, TimeSpan.Zero), item.GetProperty("clockStartsAt").GetDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 14, 30, 0, TimeSpan.Zero), item.GetProperty("firstAttemptDueAt").GetDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 14, 40, 0, TimeSpan.Zero), item.GetProperty("slaDueAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task AfterHoursClock_AcrossTheDstChange_StillMeans0830ShopTime()
    {
        var (primary, _, _) = await RotationAsync();
        var phone = LoopHost.NewPhone();
        // Saturday 7 March 2026 22:00 CST; DST starts Sunday 8 March; Monday 9 March 08:30 is CDT (UTC-5).
        await host.MissAsync(phone, new DateTimeOffset(2026, 3, 8, 4, 0, 0, TimeSpan.Zero), afterHours: true);

        var item = await host.ItemOfAsync(primary, phone);

        Assert.Equal(new DateTimeOffset(2026, 3, 9, 13, 30, 0, TimeSpan.Zero), item.GetProperty("firstAttemptDueAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task TwoReplicas_FireEachTimerOnce()
    {
        await RotationAsync();
        var second = host.StartOrchestrator();
        second.CreateClient();
        var csr = await host.UserAsync("csr");
        var phones = Enumerable.Range(0, 30).Select(_ => LoopHost.NewPhone()).ToList();
        foreach (var phone in phones)
        {
            await host.MissAsync(phone);
        }

        await Eventually.ValueAsync(async () => (await host.ItemsAsync(csr)).Count(i => phones.Contains(i.GetProperty("phone").GetString()!)), n => n == 30,
            TimeSpan.FromSeconds(30), "30 items");

        // Both replicas' own loops race for the due timers, and so does the test.
        host.Clock.Now += TimeSpan.FromMinutes(16);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => host.AdvanceAsync(TimeSpan.Zero)));
        await using var c = new NpgsqlConnection(host.Database.ConnectionString);
        var counts = await c.QueryAsync<(string Kind, long N)>(
            """
            SELECT e.kind, count(*) FROM orchestrator.item_events e JOIN orchestrator.recovery_items i ON i.id = e.item_id
            WHERE i.phone = ANY(@Phones) AND e.kind IN ('backup-triggered', 'escalated') GROUP BY e.kind
            """, new { Phones = phones.ToArray() });
        Assert.Equal([("backup-triggered", 30L), ("escalated", 30L)], counts.OrderBy(x => x.Kind).ToList());
        await host.StopOrchestratorAsync(second);
    }

    [Fact]
    public async Task Restart_MidLoop_TheTimersStillFire()
    {
        await RotationAsync();
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();
        var replica = host.StartOrchestrator();
        replica.CreateClient();
        await host.MissAsync(phone);
        await host.ItemOfAsync(csr, phone);

        await host.StopOrchestratorAsync(replica);
        var restarted = host.StartOrchestrator();
        restarted.CreateClient();
        await host.AdvanceAsync(TimeSpan.FromMinutes(16));

        await host.ItemOfAsync(csr, phone, i => i.GetProperty("status").GetString() == "escalated");
        await host.StopOrchestratorAsync(restarted);
    }

    [Fact]
    public async Task EndOfDay_FlagsEveryOpenItem_AndLimboNeedsAnOwnerAndANextCheck()
    {
        var (primary, _, manager) = await RotationAsync();
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(primary, phone);
        var parked = LoopHost.NewPhone();
        await host.MissAsync(parked);
        var limbo = await host.ItemOfAsync(primary, parked);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.SendAsync(manager, HttpMethod.Post, $"/api/recoveries/{Id(limbo)}/limbo", new { note = "waiting on parts" })).StatusCode);
        var park = await host.SendAsync(manager, HttpMethod.Post, $"/api/recoveries/{Id(limbo)}/limbo",
            new { nextCheckAt = host.Clock.Now.AddDays(1), note = "waiting on parts" });
        Assert.Equal(HttpStatusCode.OK, park.StatusCode);

        // 10:00 → past 18:00 close.
        await host.AdvanceAsync(TimeSpan.FromHours(8.5));

        var review = await host.SendAsync(manager, HttpMethod.Get, "/api/review/end-of-day");
        Assert.Equal(HttpStatusCode.OK, review.StatusCode);
        var listed = (await LoopHost.ReadAsync<JsonElement>(review)).GetProperty("items").EnumerateArray().Select(Id).ToList();
        Assert.Contains(Id(item), listed);
        Assert.DoesNotContain(Id(limbo), listed);
        var timeline = (await host.DetailAsync(manager, Id(item))).GetProperty("timeline").EnumerateArray().Select(t => t.GetProperty("kind").GetString());
        Assert.Contains("end-of-day", timeline);

        await host.AdvanceAsync(TimeSpan.FromDays(1));
        await host.ItemOfAsync(primary, parked, i => i.GetProperty("status").GetString() == "needs-callback");
    }
}
