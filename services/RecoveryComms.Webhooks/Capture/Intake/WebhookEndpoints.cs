using RecoveryComms.Hosting;
using RecoveryComms.Webhooks.Capture.Messages;

namespace RecoveryComms.Webhooks.Capture.Intake;

public static class WebhookEndpoints
{
    /// <summary>Every Twilio route of the contract, each through the same pipeline.</summary>
    public static IEndpointRouteBuilder MapTwilioWebhooks(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var routes = endpoints.ServiceProvider.GetRequiredService<WebhookRoutes>();
        foreach (var route in routes.All)
        {
            endpoints.MapPost(route.Path, (HttpContext http, WebhookPipeline pipeline) => pipeline.HandleAsync(http, route))
                .DisableAntiforgery()
                .WithName(route.Path);
        }

        return endpoints;
    }
}

/// <summary>Read → validate → answer → keep (store, spool or journal) for one webhook.</summary>
public sealed class WebhookPipeline(WebhookReader reader, WebhookKeeper keeper, InboundOptOuts optOuts)
{
    public async Task<IResult> HandleAsync(HttpContext http, WebhookRoute route)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(route);
        var read = await reader.ReadAsync(http, route.Path);
        if (read.Request is not { } request)
        {
            return Problems.Create(read.Status, read.Status switch
            {
                StatusCodes.Status403Forbidden => "invalid-signature",
                StatusCodes.Status413PayloadTooLarge => "payload-too-large",
                _ => "malformed-webhook",
            }, "The webhook was refused; nothing was stored.", read.Problem);
        }

        CallbackKey? key;
        WebhookAnswer answer;
        try
        {
            key = route.Key(request);
            answer = route.Answer(request);
        }
        catch (WebhookRejectedException e)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "malformed-webhook", "The webhook was refused; nothing was stored.", e.Message);
        }

        if (route.Recheck is { } recheck && await recheck(request, http.RequestAborted) is { } replaced)
        {
            answer = replaced;
        }

        if (key is null)
        {
            return answer.ToResult();
        }

        // A voice route always gets its answer; any other callback gets 503 when it could not be kept, so that
        // Twilio retries it (every callback URL we hand out carries #rc=3&rp=ct,rt,5xx).
        if (await keeper.KeepAsync(route, request, key, answer) is not { } kept)
        {
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "storage-unavailable", "PostgreSQL and RabbitMQ are both unavailable; retry.");
        }

        return InboundOptOuts.IsOptOut(request) ? await optOuts.ConfirmAsync(request, kept) : kept.ToResult();
    }
}
