using Microsoft.Extensions.DependencyInjection;

namespace RecoveryComms.Hosting.Business;

public static class ShopCalendarServiceCollectionExtensions
{
    /// <summary>The shop's hours and zone (<c>Business</c> section, validated at start-up) and the calendar that follows the console's settings.</summary>
    public static IServiceCollection AddShopCalendar(this IServiceCollection services)
    {
        services.AddValidatedOptions<BusinessOptions>(BusinessOptions.Section);
        services.AddSingleton<ShopCalendar>();
        return services;
    }
}
