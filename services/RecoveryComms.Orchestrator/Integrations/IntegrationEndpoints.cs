using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Auth;

namespace RecoveryComms.Orchestrator.Integrations;

public sealed record CreateWebhookRequest(string? Url, string?[]? Events);

/// <summary>The answer to a subscription: the only time its secret is ever shown.</summary>
public sealed record CreatedWebhook(Guid Id, string Secret, string Url, string[] Events);

public sealed record WebhookView(Guid Id, string Url, string[] Events, DateTime CreatedAt, string CreatedBy);

/// <summary>A page of the delivery log, newest first; <c>nextBefore</c> asks for the page after it.</summary>
public sealed record DeliveryPage(IReadOnlyList<WebhookDelivery> Items, long? NextBefore);

public static class IntegrationEndpoints
{
    public const int MaxPageSize = 200;
    private const int MaxUrlLength = 2000;

    public static IEndpointRouteBuilder MapIntegrationEndpoints(this IEndpointRouteBuilder e)
    {
        var integrations = e.MapGroup("/api/integrations");
        integrations.MapPost("/webhooks", CreateAsync).RequireAuthorization(Policies.Admin);
        integrations.MapGet("/webhooks", ListAsync).RequireAuthorization(Policies.Admin);
        integrations.MapDelete("/webhooks/{id:guid}", RemoveAsync).RequireAuthorization(Policies.Admin);
        integrations.MapGet("/deliveries", DeliveriesAsync).RequireAuthorization(Policies.Admin);
        return e;
    }

    /// <summary>Subscribes a CRM URL to events and returns the signing secret: the only time it is ever shown.</summary>
    private static async Task<Results<Created<CreatedWebhook>, ValidationProblem>> CreateAsync(
        CreateWebhookRequest request, WebhookStore store, CrmDestinations destinations, ClaimsPrincipal caller, TimeProvider time, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var url = request.Url?.Trim();
        if (!IsDeliverable(url))
        {
            errors["url"] = [$"An absolute http or https URL of at most {MaxUrlLength} characters, without user name or password, is required."];
        }
        else if (await destinations.RefusalAsync(new Uri(url!), ct) is { } refusal)
        {
            errors["url"] = [char.ToUpperInvariant(refusal[0]) + refusal[1..] + "."];
        }

        var events = request.Events?.Where(name => name is not null).Select(name => name!.Trim()).Distinct(StringComparer.Ordinal).ToArray() ?? [];
        if (events.Length == 0 || events.Length != request.Events!.Length && request.Events.Contains(null) || events.Any(name => !CrmEvents.All.Contains(name)))
        {
            errors["events"] = [$"One or more of {string.Join(", ", CrmEvents.All)} is required."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, type: Problems.TypeBase + "validation");
        }

        var id = Guid.NewGuid();
        var secret = WebhookSignature.NewSecret();
        await store.CreateAsync(id, url!, events, secret, time.GetUtcNow(), caller.Identity?.Name ?? "unknown", ct);
        return TypedResults.Created($"/api/integrations/webhooks/{id}", new CreatedWebhook(id, secret, url!, events));
    }

    /// <summary>The live subscriptions, never with their secrets.</summary>
    private static async Task<Ok<WebhookView[]>> ListAsync(WebhookStore store, CancellationToken ct) =>
        TypedResults.Ok((await store.ListAsync(ct)).Select(w => new WebhookView(w.Id, w.Url, w.Events, w.CreatedAt, w.CreatedBy)).ToArray());

    /// <summary>Removes a subscription; its pending deliveries are cancelled.</summary>
    private static async Task<Results<NoContent, NotFound>> RemoveAsync(Guid id, WebhookStore store, TimeProvider time, CancellationToken ct) =>
        await store.RemoveAsync(id, time.GetUtcNow(), ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    /// <summary>The delivery log, newest first, at most <see cref="MaxPageSize"/> per page.</summary>
    private static async Task<Results<Ok<DeliveryPage>, ValidationProblem>> DeliveriesAsync(
        WebhookStore store, CancellationToken ct, Guid? webhookId = null, string? status = null, long? before = null, int? limit = null)
    {
        var errors = new Dictionary<string, string[]>();
        if (status is not null && !DeliveryStatus.All.Contains(status))
        {
            errors["status"] = [$"The status must be one of {string.Join(", ", DeliveryStatus.All)}."];
        }

        if (limit is < 1 or > MaxPageSize)
        {
            errors["limit"] = [$"The limit must be between 1 and {MaxPageSize}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, type: Problems.TypeBase + "validation");
        }

        var size = limit ?? MaxPageSize;
        var items = await store.DeliveriesAsync(webhookId, status, before, size, ct);
        return TypedResults.Ok(new DeliveryPage(items, items.Count == size ? items[^1].Id : null));
    }

    private static bool IsDeliverable(string? url) =>
        url is { Length: > 0 and <= MaxUrlLength }
        && Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.Host.Length > 0
        && uri.UserInfo.Length == 0;
}
