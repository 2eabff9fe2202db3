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
public sealed partial class ParkPoisonOnlyFilter(MessagingMetrics metrics, ILogger logger) : IFilter<ExceptionReceiveContext>
{
    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var queue = context.InputAddress.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "?";
        if (MessageFailures.IsShutdown(context.Exception) || MessageFailures.IsTransient(context.Exception))
        {
            metrics.Returned(queue);
            LogReturned(queue, context.GetMessageId(), context.Exception.GetType().Name);
            ExceptionDispatchInfo.Capture(context.Exception).Throw();
        }

        var type = context.TryGetPayload<ConsumeContext>(out var consume) ? consume.SupportedMessageTypes.FirstOrDefault() : null;
        metrics.Parked(queue);
        LogParked(context.Exception, queue, type ?? context.ContentType?.MediaType ?? "?", context.GetMessageId(), Phone.MaskText(context.Exception.Message));
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context?.CreateFilterScope("park-poison-only");

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message on {Queue} ({MessageId}) goes back to its queue after a transient failure ({Exception}); it waits there")]
    private partial void LogReturned(string queue, Guid? messageId, string exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Parked a poison message on {Queue}_error: {MessageType} {MessageId}: {Error}")]
    private partial void LogParked(Exception e, string queue, string messageType, Guid? messageId, string error);
}
