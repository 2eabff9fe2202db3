namespace RecoveryComms.Webhooks.FrontDoor;

public static class FrontDoorServiceCollectionExtensions
{
    /// <summary>
    /// What callers and staff hear: the TwiML, and the hours and ring group it follows (configuration until the
    /// console's settings arrive; readiness waits for the stored copy at start).
    /// </summary>
    public static IServiceCollection AddFrontDoor(this IServiceCollection services)
    {
        services.AddSingleton<FrontDoorSettings>();
        services.AddSingleton<ShopSettingsCopy>();
        services.AddHostedService<ShopSettingsCopyFeed>();
        services.AddHealthChecks().AddCheck<ShopSettingsCopyHealthCheck>("shop-settings", tags: ["ready"]);
        services.AddSingleton<FrontDoorTwiml>();
        return services;
    }
}
