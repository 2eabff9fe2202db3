using System.Security.Claims;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using RecoveryComms.Contracts.Operations;
using RecoveryComms.Hosting.Auth;

namespace RecoveryComms.Hosting.Messaging;

/// <summary>What a replay moved back, per error queue of the service that answered.</summary>
public sealed record ReplayAnswer(IReadOnlyDictionary<string, int> Replayed, bool OtherServicesAsked);

/// <summary>Moves this service's parked messages back when an admin asks (the request reaches every service over the bus).</summary>
public sealed class ParkedMessagesReplayConsumer(ErrorQueues errorQueues, ParkedMessages parked) : IConsumer<ParkedMessagesReplayRequested>
{
    public async Task Consume(ConsumeContext<ParkedMessagesReplayRequested> context)
    {
        await errorQueues.ReplayAllAsync(context.CancellationToken);
        await parked.RefreshAsync(context.CancellationToken);
    }
}

public static class ReplayErrorsEndpoints
{
    /// <summary>
    /// <c>POST /api/operations/replay-errors</c> (admin): this service's parked messages go back to their queues now,
    /// and the other services are asked to do the same with theirs.
    /// </summary>
    public static IEndpointRouteBuilder MapReplayErrorsEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/operations/replay-errors", async Task<Ok<ReplayAnswer>> (
            ErrorQueues errorQueues, ParkedMessages parked, IPublishEndpoint publish, TimeProvider time, ClaimsPrincipal user, CancellationToken ct) =>
        {
            // Note: this service replays its own queues first, so the answer says what moved; its own replay consumer
            // then finds them empty, and the other services' consumers empty theirs.
            var replayed = await errorQueues.ReplayAllAsync(ct);
            await parked.RefreshAsync(ct);
            var admin = Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : Guid.Empty;
            await publish.Publish(new ParkedMessagesReplayRequested(NewId.NextGuid(), admin, time.GetUtcNow()), ct);
            return TypedResults.Ok(new ReplayAnswer(replayed, OtherServicesAsked: true));
        })
        .RequireAuthorization(Policies.Admin)
        .WithTags("Operations")
        .WithSummary("Moves parked (poison) messages back to their queues once their cause is fixed");
        return app;
    }
}
