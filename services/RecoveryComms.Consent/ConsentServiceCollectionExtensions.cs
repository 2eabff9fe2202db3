using Microsoft.Extensions.Options;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Consent;

public static class ConsentServiceCollectionExtensions
{
    /// <summary>
    /// The <c>Consent</c> and <c>Messaging</c> sections, validated at start-up. <see cref="ConsentOptions.DefaultRegion"/>
    /// follows the one phone region (<see cref="PhoneOptions"/>: <c>Phones:DefaultRegion</c>, else the deprecated
    /// <c>Consent:DefaultRegion</c>), so every reader of it reads the system's region.
    /// </summary>
    public static IServiceCollection AddConsentOptions(this IServiceCollection services)
    {
        services.AddValidatedOptions<ConsentOptions>(ConsentOptions.Section);
        services.AddOptions<ConsentOptions>().PostConfigure<IOptions<PhoneOptions>>((consent, phones) => consent.DefaultRegion = phones.Value.DefaultRegion);
        services.AddValidatedOptions<MessagingOptions>(MessagingOptions.Section);
        return services;
    }
}
