using Microsoft.Extensions.DependencyInjection;

namespace RecoveryComms.Hosting.Messaging;

public static class OutboxExtensions
{
    /// <summary>The outbox of <paramref name="schema"/> and its relay. The schema's migrations create the table.</summary>
    public static IServiceCollection AddOutbox(this IServiceCollection services, string schema)
    {
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(new Outbox(schema));
        services.AddSingleton<OutboxRelayState>();
        services.AddHostedService<OutboxRelay>();
        services.AddHealthChecks().AddCheck<OutboxHealthCheck>("outbox", tags: ["ready"]);
        return services;
    }
}
