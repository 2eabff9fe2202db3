using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Hosting.Background;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Orchestrator.Alerts;
using RecoveryComms.Orchestrator.Owners;
using RecoveryComms.Orchestrator.Settings;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Items;

/// <summary>
/// The shop's own timers: the end-of-day review at each close (every open item is flagged as needing completion,
/// reassignment or escalation, so nothing sleeps overnight without a decision). The outbox is pruned by the
/// retention worker (Integrations/CrmRetention.cs), not by a timer.
/// </summary>
public sealed partial class ShopTimers(ShopSettings settings, ItemChanges changes, ILogger<ShopTimers> logger) : ITimerHandler
{
    public IReadOnlyCollection<string> Kinds { get; } = [TimerKinds.EndOfDay];

    public async Task FireAsync(NpgsqlConnection c, NpgsqlTransaction tx, DueTimer timer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var now = new DateTimeOffset(changes.Now, TimeSpan.Zero);
        var open = await RecoveryItemStore.OpenAtCloseAsync(c, tx, ct);
        foreach (var id in open)
        {
            var item = await RecoveryItemStore.LockAsync(c, tx, id, ct);
            if (item is null)
            {
                continue;
            }

            await changes.ApplyAsync(c, tx, item, Actor.System, item.FlagEndOfDay(changes.Now), ct);
        }

        LogEndOfDay(open.Count);
        await TimerStore.ArmShopAsync(c, tx, TimerKinds.EndOfDay, NextEndOfDay(settings.Current.Week, now + TimeSpan.FromMinutes(1)), ct);
    }

    /// <summary>When the next end-of-day review is due: the next close after <paramref name="after"/> (a day later when the shop never opens).</summary>
    public static DateTimeOffset NextEndOfDay(ShopWeek week, DateTimeOffset after) =>
        (week ?? throw new ArgumentNullException(nameof(week))).NextClosing(after) ?? after + TimeSpan.FromDays(1);

    [LoggerMessage(Level = LogLevel.Information, Message = "End of day: {Count} open items flagged for a decision")]
    private partial void LogEndOfDay(int count);
}

/// <summary>
/// Makes sure the shop's own timers exist (every replica at start; the unique index keeps one of each), once the
/// saved settings are loaded (the hours they hold decide the close). A save re-arms the end-of-day timer itself.
/// A database that refuses at start is retried on the loops' back-off, so a replica that starts during an outage
/// still seeds the timer when PostgreSQL comes back.
/// </summary>
public sealed class ShopTimerSeeder(BackgroundLoops loops, NpgsqlDataSource dataSource, ShopSettings settings, TimeProvider time, ILogger<ShopTimerSeeder> logger)
    : BackgroundLoop(loops, new LoopSettings(LoopName, "Seeding the shop's timers"), logger)
{
    public const string LoopName = "shop-timers";

    protected override async Task<LoopStep> StepAsync(CancellationToken ct)
    {
        await settings.Loaded.WaitAsync(ct);
        var now = time.GetUtcNow();
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await TimerStore.EnsureShopAsync(c, TimerKinds.EndOfDay, ShopTimers.NextEndOfDay(settings.Current.Week, now), ct);
        return LoopStep.Done;
    }
}
