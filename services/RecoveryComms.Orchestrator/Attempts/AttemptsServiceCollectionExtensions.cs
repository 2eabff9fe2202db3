using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Attempts;

public static class AttemptsServiceCollectionExtensions
{
    /// <summary>Click-to-call attempts, their outcomes and their settle and check timers.</summary>
    public static IServiceCollection AddAttempts(this IServiceCollection services)
    {
        services.AddSingleton<CallAttempts>();
        services.AddSingleton<AttemptOutcomes>();
        services.AddSingleton<ITimerHandler, AttemptSettleTimer>();
        services.AddSingleton<ITimerHandler, AttemptCheckTimer>();
        return services;
    }
}
