using Microsoft.Extensions.DependencyInjection.Extensions;
using RecoveryComms.Hosting;

namespace RecoveryComms.Consent.Sending;

public static class SendingServiceCollectionExtensions
{
    /// <summary>The send gate, its (no-op) test seam, and the reconciler that settles unknown outcomes.</summary>
    public static IServiceCollection AddSmsSending(this IServiceCollection services)
    {
        services.AddValidatedOptions<SmsSendingOptions>(SmsSendingOptions.Section);
        services.TryAddSingleton<ISmsSendHook, NoSmsSendHook>();
        services.AddSingleton<SmsGate>();
        services.AddSingleton<SmsSendReconcilerState>();
        services.AddSingleton<SmsSendReconciler>();
        services.AddHostedService(provider => provider.GetRequiredService<SmsSendReconciler>());
        services.AddHealthChecks().AddCheck<SmsSendReconcilerHealthCheck>("sms-reconciler", tags: ["ready"]);
        return services;
    }
}
