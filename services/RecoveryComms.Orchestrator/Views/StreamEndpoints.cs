using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Orchestrator.Alerts;
using RecoveryComms.Orchestrator.Users;

namespace RecoveryComms.Orchestrator.Views;

public static class StreamEndpoints
{
    public static IEndpointRouteBuilder MapStreamEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Note: a key without a hash claim (none reaches here: the bootstrap key is not csr+) gets an empty hash, which
        // is never live, so its stream would end at the first key check.
        endpoints.MapGet("/api/stream", (ItemFeed stream, ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.ServerSentEvents(stream.SubscribeAsync(
                    Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : Guid.Empty,
                    user.FindFirstValue(ApiKeyAuthenticationHandler.KeyHashClaim) ?? "", ct)))
            .RequireAuthorization(Policies.CsrOrAbove);
        return endpoints;
    }
}
