using System.Diagnostics;
using System.Globalization;
using MassTransit;
using RecoveryComms.Contracts.Capture;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>The durable RabbitMQ queue a webhook waits on while PostgreSQL is down.</summary>
public sealed record SpoolSettings(string Name);

/// <summary>
/// Parks a webhook on the spool queue. Twilio does not retry an error answer by default, so while PostgreSQL
/// is down the raw webhook goes to RabbitMQ (publisher-confirmed) and Twilio still hears "accepted".
/// </summary>
public sealed partial class WebhookSpool(IBus sendEndpoints, SpoolSettings queue, ILogger<WebhookSpool> logger)
{
    /// <summary>Twilio gives up after 15 s; a broker that has not confirmed in 3 s is treated as down too.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Sends the webhook and waits for the broker's confirm; on failure, says why (masked, for the outage log).</summary>
    public async Task<(bool Spooled, string? Error)> TrySpoolAsync(WebhookRequest request, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            // Note: sent to the spool's exchange, which the spool's receive endpoint binds to its queue: a send to
            // "queue:" would declare the queue itself, as a classic queue, which RabbitMQ refuses against the quorum
            // queue with a single active consumer that the endpoint declares. Mandatory: should the binding not exist yet
            // (a new broker before this service's endpoint first started), the broker returns the message and the send
            // fails, so the webhook goes to the journal instead of nowhere.
            var endpoint = await sendEndpoints.GetSendEndpoint(new Uri($"exchange:{queue.Name}")).WaitAsync(cancel.Token);
            await endpoint.Send(request.ToSpooled(), send =>
            {
                if (send.TryGetPayload<RabbitMqSendContext>(out var rabbit))
                {
                    rabbit.Mandatory = true;
                }
            }, cancel.Token);
            LogSpooled(request.Route);
            return (true, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Note: whatever the failure (the RabbitMQ client also throws its own types when a channel closes mid-send),
            // the webhook is not spooled and the caller falls back. Expected while the broker is down: the message,
            // masked, without a stack trace (StorageOutage logs the outage once).
            var error = e is OperationCanceledException
                ? string.Create(CultureInfo.InvariantCulture, $"no confirm within {timeout.TotalMilliseconds:F0} ms")
                : LogText.Masked(e.Message);
            LogSpoolFailed(request.Route, error);
            return (false, error);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Spooled a {Route} webhook to RabbitMQ")]
    private partial void LogSpooled(string route);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Spooling a {Route} webhook failed: {Error}")]
    private partial void LogSpoolFailed(string route, string error);
}

/// <summary>Stores spooled webhooks once PostgreSQL answers; until then the bus's failure policy keeps the message on the queue.</summary>
public sealed class SpooledWebhookConsumer(WebhookRoutes routes, CaptureProcessor processor) : IConsumer<SpooledWebhook>
{
    private static readonly ActivitySource Source = new("RecoveryComms.Outbox");

    public async Task Consume(ConsumeContext<SpooledWebhook> context)
    {
        var request = WebhookRequest.FromSpooled(context.Message);
        using var activity = request.TraceParent is null ? null : Source.StartActivity("spool replay", ActivityKind.Consumer, request.TraceParent);
        var route = routes.Get(request.Route);
        var key = route.Key(request);
        if (key is not null)
        {
            await processor.StoreAsync(route, request, key, route.Answer(request), spooled: true, context.CancellationToken);
        }
    }
}

public sealed class SpooledWebhookConsumerDefinition : ConsumerDefinition<SpooledWebhookConsumer>
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<SpooledWebhookConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        // Note: a PostgreSQL outage can last; the bus's failure policy (BusExtensions.UseFailurePolicy) keeps the
        // message unacknowledged on the durable queue while the database is unavailable, so a crash of this process
        // hands it to another replica instead of losing it, and any other failure goes to the error queue.
        // Note: replayed one at a time, in the order the webhooks arrived. A call's callbacks decide its outcome by
        // order (the dial result before the final status); replayed concurrently, 6 of 100 missed calls spooled
        // during an outage were published as abandoned, and a recording replayed beside its call's first
        // callback could miss the call it waited for. The queue holds webhooks in arrival order because each
        // webhook is answered only after the broker confirmed it, and Twilio sends a call's next callback after that.
        // Replay is a few milliseconds a webhook, so a long outage's backlog still drains in seconds.
        // One at a time is per consumer; single active consumer makes it one across replicas too: the broker
        // delivers the spool to one webhooks replica and hands it to the next only when that one goes away.
        endpointConfigurator.PrefetchCount = 16;
        endpointConfigurator.ConcurrentMessageLimit = 1;
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.SingleActiveConsumer = true;
        }
    }
}
