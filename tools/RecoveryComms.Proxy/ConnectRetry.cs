using System.Net.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace RecoveryComms.Proxy;

/// <summary>
/// Sends a request to another replica when the one chosen failed before answering (it died or is restarting and its probe
/// has not noticed yet). A POST only when the replica refused the connection: nothing reached it, so even a Twilio webhook
/// is safe to send again, while one that reached a replica may have been stored and is never repeated (Twilio retries a
/// 5xx itself, and the webhooks service stores a retried callback once). A GET or HEAD whatever the failure: it changes nothing.
/// </summary>
public static partial class ConnectRetry
{
    public static async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var proxy = context.GetReverseProxyFeature();
        // Note: load balancing narrows AvailableDestinations to the one it picked, so the candidates are kept from before.
        var candidates = proxy.AvailableDestinations;
        while (true)
        {
            await next();
            if (context.Response.HasStarted || proxy.ProxiedDestination is not { } refused
                || context.Features.Get<IForwarderErrorFeature>() is not { Error: ForwarderError.Request, Exception: var error }
                || !(NeverConnected(error) || HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
            {
                return;
            }

            candidates = [.. candidates.Where(d => d != refused)];
            if (candidates.Count == 0)
            {
                return;
            }

            LogRetry(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConnectRetry)), refused.DestinationId, candidates.Count);
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status200OK;
            proxy.AvailableDestinations = candidates;
            proxy.ProxiedDestination = null;
        }
    }

    private static bool NeverConnected(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(LogLevel.Warning, "Replica {Destination} failed before answering; sending the request to one of the {Others} others")]
    private static partial void LogRetry(ILogger logger, string destination, int others);
}
