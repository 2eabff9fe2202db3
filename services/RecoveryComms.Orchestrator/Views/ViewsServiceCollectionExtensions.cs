using RecoveryComms.Hosting.Background;
using RecoveryComms.Hosting.Observability;

namespace RecoveryComms.Orchestrator.Views;

public static class ViewsServiceCollectionExtensions
{
    /// <summary>The queue views and the live feed (its listener has a readiness entry, Degraded while it reconnects).</summary>
    public static IServiceCollection AddViews(this IServiceCollection services)
    {
        services.AddSingleton<ItemQueries>();
        services.AddSingleton<ItemFeed>();
        services.AddHostedService(provider => provider.GetRequiredService<ItemFeed>());
        services.AddHealthChecks().AddLoopCheck(ItemFeed.LoopName);
        services.AddMetricsSource<StreamMetrics>();
        return services;
    }
}
