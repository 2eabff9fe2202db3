using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RecoveryComms.Hosting.Observability;

public static class DegradedOnlyExtensions
{
    /// <summary>
    /// Caps the named readiness checks at Degraded: they still say what is wrong (status and description in the
    /// readiness JSON) but can no longer take the replica out of a load balancer. For a service whose job goes on
    /// without those dependencies, such as the webhooks service, which answers Twilio from the spool and the
    /// journal while PostgreSQL or RabbitMQ is away. A name no check has is ignored.
    /// </summary>
    public static IServiceCollection ReportAsDegradedOnly(this IServiceCollection services, params string[] checkNames)
    {
        var names = checkNames.ToHashSet(StringComparer.Ordinal);
        // Note: PostConfigure runs after every registration (MassTransit adds its bus check through options too),
        // so the cap applies however and wherever the check was added.
        services.PostConfigure<HealthCheckServiceOptions>(options =>
        {
            foreach (var registration in options.Registrations.Where(r => names.Contains(r.Name)))
            {
                var inner = registration.Factory;
                registration.Factory = provider => new DegradedOnly(inner(provider));
                // A check that throws or times out is reported with the registration's failure status.
                registration.FailureStatus = HealthStatus.Degraded;
            }
        });
        return services;
    }
}

internal sealed class DegradedOnly(IHealthCheck inner) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var result = await inner.CheckHealthAsync(context, cancellationToken);
        return result.Status == HealthStatus.Unhealthy
            ? new HealthCheckResult(HealthStatus.Degraded, result.Description, result.Exception, result.Data)
            : result;
    }
}
