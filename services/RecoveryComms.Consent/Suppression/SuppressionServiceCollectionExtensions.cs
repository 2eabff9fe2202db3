namespace RecoveryComms.Consent.Suppression;

public static class SuppressionServiceCollectionExtensions
{
    /// <summary>Who may be called or texted now: consent, flags and the quiet hours.</summary>
    public static IServiceCollection AddSuppression(this IServiceCollection services)
    {
        services.AddSingleton<QuietHours>();
        services.AddSingleton<SuppressionPolicy>();
        return services;
    }
}
