namespace RecoveryComms.Orchestrator.Settings;

public static class SettingsServiceCollectionExtensions
{
    /// <summary>The shop settings a manager changes in the console, kept in step across replicas (readiness waits for them).</summary>
    public static IServiceCollection AddShopSettings(this IServiceCollection services)
    {
        services.AddSingleton<ShopSettings>();
        services.AddSingleton<SettingsStore>();
        services.AddSingleton<SettingsFeed>();
        services.AddHostedService(provider => provider.GetRequiredService<SettingsFeed>());
        services.AddHealthChecks().AddCheck<SettingsHealthCheck>("settings", tags: ["ready"]);
        return services;
    }
}
