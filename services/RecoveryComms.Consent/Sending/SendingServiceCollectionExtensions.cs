using Microsoft.Extensions.DependencyInjection.Extensions;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Consent.Sending;

public static class SendingServiceCollectionExtensions
{
    /// <summary>The send gate, its (no-op) test seam, and the reconciler that settles unknown outcomes (a loop with a readiness entry).</summary>
    public static IServiceCollection AddSmsSending(this IServiceCollection services)
    {
        services.AddValidatedOptions<SmsSendingOptions>(SmsSendingOptions.Section);
        services.TryAddSingleton<ISmsSendHook, NoSmsSendHook>();
        services.AddSingleton<SmsGate>();
        services.AddSingleton<SmsSendReconciler>();
        services.AddHostedService(provider => provider.GetRequiredService<SmsSendReconciler>());
        services.AddHealthChecks().AddLoopCheck(SmsSendReconciler.LoopName, _ => SmsSendReconciler.UnhealthyAfter);
        return services;
    }
}
