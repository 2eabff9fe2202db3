using System.Diagnostics.Metrics;
using System.Runtime.ExceptionServices;
using MassTransit;
using Microsoft.Extensions.Logging;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Hosting.Messaging;

/// <summary>
/// The first filter of every endpoint's error pipe: a message whose last failure was transient (see
/// <see cref="MessageFailures"/>), or that was cut short because the endpoint is stopping, goes back to its queue
/// (the exception reaches the transport, which returns the delivery to the broker) instead of to <c>_error</c>. A
/// poison message is logged once with its type and id, counted, and passed on to MassTransit's own fault and
/// error-queue filters.
/// </summary>
public sealed partial class ParkPoisonOnlyFilter(ILogger logger) : IFilter<ExceptionReceiveContext>
{
    private static readonly Meter Meter = new(ParkedMessages.MeterName);
    private static readonly Counter<long> Parked = Meter.CreateCounter<long>("recoverycomms_messages_parked",
        description: "Messages moved to an error queue since the process started (poison messages).");
    private static readonly Counter<long> Returned = Meter.CreateCounter<long>("recoverycomms_messages_returned",
        description: "Deliveries handed back to their queue after a transient failure outlasted the in-memory retries, or at shutdown.");

    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var queue = context.InputAddress.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "?";
        if (context.Exception is OperationCanceledException || MessageFailures.IsTransient(context.Exception))
        {
            Returned.Add(1, new KeyValuePair<string, object?>("queue", queue));
            LogReturned(queue, context.GetMessageId(), context.Exception.GetType().Name);
            ExceptionDispatchInfo.Capture(context.Exception).Throw();
        }

        var type = context.TryGetPayload<ConsumeContext>(out var consume) ? consume.SupportedMessageTypes.FirstOrDefault() : null;
        Parked.Add(1, new KeyValuePair<string, object?>("queue", queue));
        LogParked(context.Exception, queue, type ?? context.ContentType?.MediaType ?? "?", context.GetMessageId(), Phone.MaskText(context.Exception.Message));
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context?.CreateFilterScope("park-poison-only");

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message on {Queue} ({MessageId}) goes back to its queue after a transient failure ({Exception}); it waits there")]
    private partial void LogReturned(string queue, Guid? messageId, string exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Parked a poison message on {Queue}_error: {MessageType} {MessageId}: {Error}")]
    private partial void LogParked(Exception e, string queue, string messageType, Guid? messageId, string error);
}
