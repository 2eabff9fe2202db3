using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Auth;

namespace RecoveryComms.Consent.Suppression;

public sealed record SuppressionView(string Phone, string Channel, bool Allowed, IReadOnlyList<string> Reasons);

public static class SuppressionEndpoints
{
    public static IEndpointRouteBuilder MapSuppressionEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Note: the contract's "services": a number's opt-out, do-not-contact and flags are answered to a service
        // credential only (the send gate and the orchestrator use the bus twin, CheckSuppression), never to a staff key.
        endpoints.MapGet("/api/suppression", CheckAsync).RequireAuthorization(Policies.Service);
        return endpoints;
    }

    private static async Task<Results<Ok<SuppressionView>, ProblemHttpResult>> CheckAsync(string? phone, string? channel, SuppressionPolicy policy, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(phone) || !SuppressionPolicy.IsChannel(channel))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "invalid-query", "phone and channel (sms or voice) are required.");
        }

        var decision = await policy.DecideAsync(phone, channel!, ct);
        return TypedResults.Ok(new SuppressionView(decision.Phone, decision.Channel, decision.Allowed, decision.Reasons));
    }
}

/// <summary>The bus twin of <c>GET /api/suppression</c>.</summary>
public sealed class CheckSuppressionConsumer(SuppressionPolicy policy, TimeProvider time) : IConsumer<CheckSuppression>
{
    public async Task Consume(ConsumeContext<CheckSuppression> context)
    {
        var question = context.Message;
        var decision = SuppressionPolicy.IsChannel(question.Channel)
            ? await policy.DecideAsync(question.Phone, question.Channel, context.CancellationToken)
            : new Decision(question.Phone, question.Channel, false, ["invalid-channel"]);
        await context.RespondAsync(new SuppressionDecision(question.CorrelationId, decision.Phone, decision.Channel, decision.Allowed, decision.Reasons, time.GetUtcNow()));
    }
}
