using System.Diagnostics;
using MassTransit;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>The durable RabbitMQ queue a webhook waits on while PostgreSQL is down.</summary>
public sealed record SpoolSettings(string Name);

/// <summary>
/// Parks a webhook on the spool queue. Twilio does not retry an error answer by default, so while PostgreSQL
/// is down the raw webhook goes to RabbitMQ (publisher-confirmed) and Twilio still hears "accepted".
/// </summary>
public sealed partial class WebhookSpool(IBus sendEndpoints, SpoolSettings queue, ILogger<WebhookSpool> logger)
{
    public async Task<bool> TrySpoolAsync(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Note: Twilio gives up after 15 s; a broker that has not confirmed in 3 s is treated as down too.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            var endpoint = await sendEndpoints.GetSendEndpoint(new Uri($"queue:{queue.Name}")).WaitAsync(timeout.Token);
            await endpoint.Send(request.ToSpooled(), timeout.Token);
            LogSpooled(request.Route);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or MassTransitException or TimeoutException or InvalidOperationException)
        {
            // Note: expected while the broker is down too: the message, masked, without a stack trace (StorageOutage counts the loss).
            var error = LogText.Masked(e.Message);
            LogSpoolFailed(request.Route, error);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Spooled a {Route} webhook to RabbitMQ")]
    private partial void LogSpooled(string route);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spooling a {Route} webhook failed: {Error}")]
    private partial void LogSpoolFailed(string route, string error);
}

/// <summary>Stores spooled webhooks once PostgreSQL answers; until then the retry policy keeps the message on the queue.</summary>
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
        // Note: a PostgreSQL outage can last; the message stays unacknowledged on the durable queue while we retry,
        // so a crash of this process hands it to another replica instead of losing it. Only "the database is
        // unavailable" is worth waiting for; any other failure goes to the error queue instead of holding the spool.
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Handle<Exception>(DatabaseErrors.IsUnavailable);
            retry.Exponential(10_000, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(500));
        });
        // Note: replayed one at a time, in the order the webhooks arrived. A call's callbacks decide its outcome by
        // order (the dial result before the final status); replayed concurrently, 6 of 100 missed calls spooled
        // during an outage were published as abandoned, and a recording replayed beside its call's first
        // callback could miss the call it waited for. The queue holds webhooks in arrival order because each
        // webhook is answered only after the broker confirmed it, and Twilio sends a call's next callback after that.
        // Replay is a few milliseconds a webhook, so a long outage's backlog still drains in seconds.
        endpointConfigurator.PrefetchCount = 16;
        endpointConfigurator.ConcurrentMessageLimit = 1;
    }
}
