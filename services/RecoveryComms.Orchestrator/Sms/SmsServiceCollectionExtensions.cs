using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Sms;

public static class SmsServiceCollectionExtensions
{
    /// <summary>The loop's one SMS and its recheck timer.</summary>
    public static IServiceCollection AddRecoverySms(this IServiceCollection services)
    {
        services.AddSingleton<RecoverySms>();
        services.AddSingleton<ITimerHandler, SmsRecheckTimer>();
        return services;
    }
}
