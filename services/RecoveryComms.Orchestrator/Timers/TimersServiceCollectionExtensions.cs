using Microsoft.Extensions.Options;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Orchestrator.Timers;

public static class TimersServiceCollectionExtensions
{
    /// <summary>The durable timers: the worker that fires them (readiness red past Timers:UnhealthyAfter) and their lag.</summary>
    public static IServiceCollection AddTimers(this IServiceCollection services)
    {
        services.AddValidatedOptions<TimerWorkerOptions>(TimerWorkerOptions.Section);
        services.AddSingleton<TimerWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<TimerWorker>());
        services.AddHealthChecks().AddLoopCheck(TimerWorker.LoopName, provider => provider.GetRequiredService<IOptions<TimerWorkerOptions>>().Value.UnhealthyAfter);
        services.AddTimerLag();
        return services;
    }
}
