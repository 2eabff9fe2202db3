using System.ComponentModel.DataAnnotations;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace RecoveryComms.Hosting.Messaging;

/// <summary>The broker, bound from the <c>RabbitMq</c> section.</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    [Required]
    public string Host { get; set; } = "127.0.0.1";

    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    [Required]
    public string Username { get; set; } = "guest";

    [Required]
    public string Password { get; set; } = "guest";

    public string VirtualHost { get; set; } = "/";

    /// <summary>
    /// Prefix for queue and exchange names: lets several stacks (test hosts, staging beside production) share one
    /// broker without seeing each other's messages. Empty in production.
    /// </summary>
    public string? EndpointPrefix { get; set; }
}

public static class BusExtensions
{
    /// <summary>
    /// MassTransit over RabbitMQ. <paramref name="consumers"/> lists every consumer of the service: it is the
    /// table of contents of what the service reacts to.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="options">The broker.</param>
    /// <param name="service">Prefixes the service's queue names, so two services consuming the same event each get every copy.</param>
    /// <param name="consumers">Registers the consumers.</param>
    public static IServiceCollection AddRecoveryCommsBus(this IServiceCollection services, RabbitMqOptions options, string service, Action<IBusRegistrationConfigurator> consumers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(consumers);
        services.AddMassTransit(bus =>
        {
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter($"{options.EndpointPrefix}{service}-", includeNamespace: false));
            consumers(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                if (!string.IsNullOrEmpty(options.EndpointPrefix))
                {
                    rabbit.MessageTopology.SetEntityNameFormatter(new PrefixedEntityNameFormatter(rabbit.MessageTopology.EntityNameFormatter, options.EndpointPrefix));
                }

                rabbit.Host(options.Host, (ushort)options.Port, options.VirtualHost, host =>
                {
                    host.Username(options.Username);
                    host.Password(options.Password);
                    // Note: publisher confirms are MassTransit's default; stated here because the outbox relay and
                    // the webhook spool count a message as safe only once the broker has confirmed it.
                    host.PublisherConfirmation = true;
                    host.RequestedConnectionTimeout(TimeSpan.FromSeconds(3));
                });
                rabbit.UseMessageRetry(retry => retry.Exponential(8, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500)));
                rabbit.ConfigureEndpoints(context);
            });
        });
        services.Configure<MassTransitHostOptions>(host =>
        {
            // A service must start (and answer Twilio) while the broker is down; the bus connects when it can.
            host.WaitUntilStarted = false;
            host.StopTimeout = TimeSpan.FromSeconds(10);
        });
        return services;
    }
}
