using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting;
using RecoveryComms.Orchestrator.Actions;
using RecoveryComms.Orchestrator.Attempts;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Sms;
using RecoveryComms.Orchestrator.Views;

namespace RecoveryComms.Orchestrator.Actions;

public sealed record DispositionCodes(IReadOnlyList<CodeLabel> Outcomes, IReadOnlyList<CodeLabel> Reasons);

public sealed record NewReason(string? Code, string? Label);

public sealed record ViewCounts(IReadOnlyDictionary<string, long> Counts);

/// <summary>The recovery queue's HTTP API (contract: "CSR and manager API" and "Recovery items").</summary>
public static class QueueEndpoints
{
    public static IEndpointRouteBuilder MapQueueEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var items = endpoints.MapGroup("/api/recoveries");
        items.MapGet("/", ListAsync).RequireAuthorization(Policies.CsrOrAbove);
        items.MapGet("/counts", async (ItemQueries queries, ClaimsPrincipal user, CancellationToken ct) =>
            TypedResults.Ok(new ViewCounts(await queries.CountsAsync(Me(user).Id!.Value, ct)))).RequireAuthorization(Policies.CsrOrAbove);
        items.MapGet("/{id:guid}", GetAsync).RequireAuthorization(Policies.CsrOrAbove);
        items.MapPost("/{id:guid}/claim", async (Guid id, ItemActions actions, ItemQueries queries, ClaimsPrincipal user, CancellationToken ct) =>
            await ItemAsync(await actions.ClaimAsync(id, Me(user), ct), queries, ct)).RequireAuthorization(Policies.CsrOrAbove);
        items.MapPost("/{id:guid}/call", CallAsync).RequireAuthorization(Policies.CsrOrAbove);
        items.MapPost("/{id:guid}/voicemail-left", async (Guid id, ItemActions actions, ItemQueries queries, ClaimsPrincipal user, CancellationToken ct) =>
            await ItemAsync(await actions.VoicemailLeftAsync(id, Me(user), ct), queries, ct)).RequireAuthorization(Policies.CsrOrAbove);
        items.MapPost("/{id:guid}/sms", SmsAsync).RequireAuthorization(Policies.CsrOrAbove);
        items.MapGet("/{id:guid}/sms/preview", SmsPreviewAsync).RequireAuthorization(Policies.CsrOrAbove);
        items.MapPost("/{id:guid}/disposition", async (Guid id, DispositionRequest request, ItemActions actions, ItemQueries queries, ClaimsPrincipal user, CancellationToken ct) =>
            await ItemAsync(await actions.DisposeAsync(id, request, Me(user), ItemActions.IsManager(user), ct), queries, ct)).RequireAuthorization(Policies.CsrOrAbove);
        items.MapPost("/{id:guid}/reassign", async (Guid id, ReassignRequest request, ItemActions actions, ItemQueries queries, ClaimsPrincipal user, CancellationToken ct) =>
            await ItemAsync(await actions.ReassignAsync(id, request, Me(user), ct), queries, ct)).RequireAuthorization(Policies.ManagerOrAdmin);
        items.MapPost("/{id:guid}/escalate", async (Guid id, ItemActions actions, ItemQueries queries, ClaimsPrincipal user, CancellationToken ct) =>
            await ItemAsync(await actions.EscalateAsync(id, Me(user), ct), queries, ct)).RequireAuthorization(Policies.ManagerOrAdmin);
        items.MapPost("/{id:guid}/limbo", async (Guid id, LimboRequest request, ItemActions actions, ItemQueries queries, ClaimsPrincipal user, CancellationToken ct) =>
            await ItemAsync(await actions.LimboAsync(id, request, Me(user), ItemActions.IsManager(user), ct), queries, ct)).RequireAuthorization(Policies.CsrOrAbove);

        endpoints.MapPost("/api/callbacks", CreateCallbackAsync).RequireAuthorization(Policies.CallbackWriter);
        endpoints.MapGet("/api/dispositions", DispositionsAsync).RequireAuthorization(Policies.CsrOrAbove);
        endpoints.MapPost("/api/dispositions/reasons", AddReasonAsync).RequireAuthorization(Policies.ManagerOrAdmin);
        return endpoints;
    }

    internal static Actor Me(ClaimsPrincipal user) =>
        new(Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null, user.Identity?.Name ?? "unknown");

    internal static ProblemHttpResult Problem(Refusal refusal) =>
        TypedResults.Problem(refusal.Detail, statusCode: refusal.Status, title: refusal.Title, type: Problems.TypeBase + refusal.Type,
            extensions: refusal.Reasons is null ? null : new Dictionary<string, object?> { ["reasons"] = refusal.Reasons });

    private static async Task<Results<Ok<ItemList>, ProblemHttpResult>> ListAsync(string? view, int? limit, ItemQueries queries, ClaimsPrincipal user, CancellationToken ct)
    {
        view ??= "open";
        if (!ItemQueries.Views.Contains(view))
        {
            return Problems.Create(400, "invalid-view", "Unknown view.", "One of: " + string.Join(", ", ItemQueries.Views) + ".");
        }

        if (limit is < 1 or > 1000)
        {
            return Problems.Create(400, "invalid-limit", "limit is 1 to 1000.");
        }

        return TypedResults.Ok(new ItemList(await queries.ListAsync(view, Me(user).Id!.Value, limit ?? 500, ct)));
    }

    private static async Task<Results<Ok<ItemDetail>, ProblemHttpResult>> GetAsync(Guid id, ItemQueries queries, CancellationToken ct) =>
        await queries.DetailAsync(id, ct) is { } detail ? TypedResults.Ok(detail) : Problems.Create(404, "not-found", "No such recovery item.");

    private static async Task<Results<Ok<ItemView>, ProblemHttpResult>> ItemAsync(ActionResult<Guid> result, ItemQueries queries, CancellationToken ct) =>
        result.Refusal is { } refusal ? Problem(refusal) : TypedResults.Ok((await queries.GetAsync(result.Value, ct))!);

    private static async Task<Results<Accepted<AttemptStarted>, ProblemHttpResult>> CallAsync(Guid id, CallAttempts attempts, ClaimsPrincipal user, CancellationToken ct)
    {
        var result = await attempts.StartAsync(id, Me(user), ct);
        return result.Refusal is { } refusal ? Problem(refusal) : TypedResults.Accepted($"/api/recoveries/{id}", result.Value);
    }

    private static async Task<Results<Accepted<SmsAccepted>, ProblemHttpResult>> SmsAsync(Guid id, SmsRequest request, RecoverySms sms, ClaimsPrincipal user, CancellationToken ct)
    {
        var result = await sms.SendAsync(id, Me(user), request, ct);
        return result.Refusal is { } refusal ? Problem(refusal) : TypedResults.Accepted($"/api/recoveries/{id}", result.Value);
    }

    private static async Task<Results<Ok<SmsPreview>, ProblemHttpResult>> SmsPreviewAsync(
        Guid id, string? windowA, string? windowB, string? issue, RecoverySms sms, ClaimsPrincipal user, CancellationToken ct)
    {
        var result = await sms.PreviewAsync(id, Me(user), ItemActions.IsManager(user), new SmsRequest(windowA, windowB, issue), ct);
        return result.Refusal is { } refusal ? Problem(refusal) : TypedResults.Ok(result.Value);
    }

    private static async Task<Results<Created<ItemView>, ProblemHttpResult>> CreateCallbackAsync(CallbackRequest request, ItemActions actions, ItemQueries queries, ClaimsPrincipal user, CancellationToken ct)
    {
        var result = await actions.CreateCallbackAsync(request, Me(user), ct);
        return result.Refusal is { } refusal
            ? Problem(refusal)
            : TypedResults.Created($"/api/recoveries/{result.Value}", (await queries.GetAsync(result.Value, ct))!);
    }

    private static async Task<Ok<DispositionCodes>> DispositionsAsync(DispositionReasons reasons, CancellationToken ct) =>
        TypedResults.Ok(new DispositionCodes(Outcomes.All.Select(o => new CodeLabel(o.Code, o.Label)).ToList(), await reasons.ListAsync(ct)));

    private static async Task<Results<Created<CodeLabel>, ProblemHttpResult>> AddReasonAsync(NewReason request, DispositionReasons reasons, ClaimsPrincipal user, CancellationToken ct)
    {
        var code = request.Code?.Trim().ToLowerInvariant();
        var label = request.Label?.Trim();
        if (code is null || !System.Text.RegularExpressions.Regex.IsMatch(code, "^[a-z][a-z0-9-]{1,40}$") || string.IsNullOrEmpty(label) || label.Length > 80)
        {
            return Problems.Create(400, "validation", "A reason needs a code (lowercase letters, digits and dashes) and a label of at most 80 characters.");
        }

        return !await reasons.AddAsync(code, label, user.Identity?.Name ?? "unknown", ct)
            ? Problems.Create(409, "reason-exists", $"The reason '{code}' exists already.")
            : TypedResults.Created("/api/dispositions", new CodeLabel(code, label));
    }
}
