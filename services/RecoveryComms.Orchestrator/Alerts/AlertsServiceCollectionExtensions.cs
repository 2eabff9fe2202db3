using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Orchestrator.Alerts;

public static class AlertsServiceCollectionExtensions
{
    /// <summary>Alerts to the backup owner and the manager, and their texts (settled by a loop with a readiness entry).</summary>
    public static IServiceCollection AddStaffAlerts(this IServiceCollection services)
    {
        services.AddSingleton<StaffAlerts>();
        services.AddSingleton<StaffAlertSms>();
        services.AddHostedService<StaffAlertSmsReconciler>();
        services.AddHealthChecks().AddLoopCheck(StaffAlertSmsReconciler.LoopName);
        return services;
    }
}
