using RecoveryComms.Hosting.Background;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Items;

public static class ItemsServiceCollectionExtensions
{
    /// <summary>The recovery item, its one writer, the loop's clock and the timers whose effects are the loop's transitions.</summary>
    public static IServiceCollection AddItems(this IServiceCollection services)
    {
        services.AddSingleton<LoopClock>();
        services.AddSingleton<ItemChanges>();
        services.AddSingleton<ItemEmergencies>();
        services.AddSingleton<ITimerHandler, LoopTimers>();
        services.AddSingleton<ITimerHandler, ShopTimers>();
        services.AddHostedService<ShopTimerSeeder>();
        services.AddHealthChecks().AddLoopCheck(ShopTimerSeeder.LoopName);
        return services;
    }
}
