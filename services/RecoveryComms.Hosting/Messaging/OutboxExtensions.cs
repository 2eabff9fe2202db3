using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RecoveryComms.Hosting.Observability;
using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Hosting.Messaging;

public static class OutboxExtensions
{
    /// <summary>
    /// The outbox of <paramref name="schema"/>, its relay (readiness Degraded while it fails, red past
    /// <c>Outbox:UnhealthyAfter</c>) and the age of its oldest unpublished event at <c>/metrics</c>. The schema's
    /// migrations create the table.
    /// </summary>
    public static IServiceCollection AddOutbox(this IServiceCollection services, string schema)
    {
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(new Outbox(schema));
        services.AddHostedService<OutboxRelay>();
        // Degraded while the relay fails; red past Outbox:UnhealthyAfter.
        services.AddHealthChecks().AddLoopCheck(OutboxRelay.LoopName, provider => provider.GetRequiredService<IOptions<OutboxOptions>>().Value.UnhealthyAfter);
        services.AddMetricsSource<OutboxMetrics>();
        return services;
    }
}
