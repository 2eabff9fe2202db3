using System.ComponentModel.DataAnnotations;
using MassTransit;
using Microsoft.Extensions.Logging;
using RecoveryComms.Hosting.Observability;
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

    /// <summary>
    /// How long a message whose dependency is unavailable waits in memory before it goes back to its queue to wait
    /// there (<see cref="BusExtensions"/>). Note: below RabbitMQ's consumer_timeout (30 minutes by default), which
    /// would otherwise close the channel under a delivery held longer. Tests shorten it.
    /// </summary>
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>
    /// Receive endpoints as quorum queues (the default, as a cluster runs them) or classic queues. Note: the test
    /// fixtures turn it off: a full test run starts about a hundred hosts on one broker node, and with every endpoint a
    /// quorum queue (a Raft group each) 55 orchestrator tests timed out waiting for readiness while the broker reported
    /// unresponsive quorum queues; the reliability tests turn it back on.
    /// </summary>
    public bool QuorumQueues { get; set; } = true;

    /// <summary>
    /// Refuses a retry window outside 1 s to 29 min or a cap outside 100 ms to 5 min. Note: checked by hand, not with
    /// [Range(typeof(TimeSpan))]: RangeAttribute converts its bounds lazily and not thread-safely, and hosts starting
    /// in parallel threw InvalidCastException from it in a CI run.
    /// </summary>
    public void ValidateRetry()
    {
        if (RetryWindow < TimeSpan.FromSeconds(1) || RetryWindow > TimeSpan.FromMinutes(29)
            || RetryCap < TimeSpan.FromMilliseconds(100) || RetryCap > TimeSpan.FromMinutes(5))
        {
            throw new InvalidOperationException("RabbitMq:RetryWindow must be 00:00:01 to 00:29:00 and RabbitMq:RetryCap 00:00:00.100 to 00:05:00.");
        }
    }

    /// <summary>The longest pause between two in-memory tries of a waiting message.</summary>
    public TimeSpan RetryCap { get; set; } = TimeSpan.FromSeconds(30);
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
        options.ValidateRetry();
        services.AddMassTransit(bus =>
        {
            // Note: MassTransit 8.4+ reports usage telemetry to its vendor's host by default (a POST some time after the
            // bus starts, and a logged stack trace where there is no internet). A self-hosted system talks only to the
            // addresses it is configured with; OutboundConnectionTests fails if any service host reaches further.
            bus.DisableUsageTelemetry();
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter($"{options.EndpointPrefix}{service}-", includeNamespace: false));
            consumers(bus);
            bus.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                // Note: quorum queues, as a RabbitMQ cluster runs them (replicated, and the only kind with poison-message
                // handling built in); one node here is a cluster of one. Temporary response queues stay classic (a quorum
                // queue cannot be exclusive); they are not in this callback.
                if (options.QuorumQueues && endpoint is IRabbitMqReceiveEndpointConfigurator queue)
                {
                    queue.SetQuorumQueue();
                }

                var log = context.GetRequiredService<ILoggerFactory>().CreateLogger<ParkPoisonOnlyFilter>();
                var metrics = context.GetRequiredService<MessagingMetrics>();
                endpoint.ConfigureError(error =>
                {
                    error.UseFilter(new ParkPoisonOnlyFilter(metrics, log));
                    error.UseFilter(new MassTransit.Middleware.GenerateFaultFilter());
                    error.UseFilter(new MassTransit.Middleware.ErrorTransportFilter());
                });
            });
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
                UseFailurePolicy(rabbit, options);
                rabbit.ConfigureEndpoints(context);
            });
        });
        services.AddSingleton(options);
        services.AddSingleton<OwnQueues>();
        services.AddReceiveEndpointObserver(provider => provider.GetRequiredService<OwnQueues>());
        services.AddSingleton<ErrorQueues>();
        services.AddSingleton<ParkedMessages>();
        services.AddHostedService(provider => provider.GetRequiredService<ParkedMessages>());
        services.AddHealthChecks().AddCheck<ParkedMessages>("parked-messages", tags: ["ready"]);
        services.AddMetricsSource<MessagingMetrics>();
        services.Configure<MassTransitHostOptions>(host =>
        {
            // A service must start (and answer Twilio) while the broker is down; the bus connects when it can.
            host.WaitUntilStarted = false;
            host.StopTimeout = TimeSpan.FromSeconds(10);
        });
        return services;
    }

    /// <summary>
    /// Transient failures wait, poison messages park (guarantee 1 of the architecture). Two retry filters, outermost first:
    /// <list type="number">
    /// <item>a poison message (any failure <see cref="MessageFailures.IsTransient"/> does not recognise) is tried three
    /// more times within about 6 s, for a blip the classifier does not know, and then goes to <c>_error</c>;</item>
    /// <item>a transient failure is retried in memory with back-off up to 30 s between tries for
    /// <see cref="RabbitMqOptions.RetryWindow"/>; its concurrency slot stays taken meanwhile, so an endpoint whose database is
    /// down stops taking new messages from the broker by itself. When the window ends (or the endpoint stops) the
    /// delivery goes back to the queue (<see cref="ParkPoisonOnlyFilter"/>) and the wait starts again: hours of
    /// outage cost nothing but the wait.</item>
    /// </list>
    /// </summary>
    private static void UseFailurePolicy(IRabbitMqBusFactoryConfigurator rabbit, RabbitMqOptions options)
    {
        rabbit.UseMessageRetry(retry =>
        {
            retry.Ignore<Exception>(e => MessageFailures.IsTransient(e) || MessageFailures.IsShutdown(e));
            retry.Intervals(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        });
        rabbit.UseMessageRetry(retry =>
        {
            retry.Handle<Exception>(MessageFailures.IsTransient);
            // 200 ms doubling up to the cap (30 s: eight tries in the first minute), then one every cap until the window ends.
            var doubling = (int)Math.Ceiling(Math.Log2(Math.Max(1, options.RetryCap / TimeSpan.FromMilliseconds(200)))) + 1;
            var rest = Math.Max(0, (int)((options.RetryWindow - (options.RetryCap * 2)) / options.RetryCap));
            retry.Exponential(doubling + rest, TimeSpan.FromMilliseconds(200), options.RetryCap, TimeSpan.FromMilliseconds(200));
        });
    }
}
