using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using NodaTime;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Auth;

namespace RecoveryComms.Orchestrator.Owners;

public static class RotationEndpoints
{
    public static IEndpointRouteBuilder MapRotationEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/rotation", async (Rotation rotation, CancellationToken ct) => TypedResults.Ok(await rotation.WeekAsync(ct)))
            .RequireAuthorization(Policies.CsrOrAbove);
        endpoints.MapPut("/api/rotation/{weekday}", SetAsync).RequireAuthorization(Policies.ManagerOrAdmin);
        return endpoints;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> SetAsync(string weekday, SetDayRequest request, Rotation rotation, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!Enum.TryParse<IsoDayOfWeek>(weekday, ignoreCase: true, out var day) || day == IsoDayOfWeek.None || int.TryParse(weekday, out _))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "invalid-weekday", "The weekday must be monday … sunday.");
        }

        var error = await rotation.SetAsync(day, request, user.Identity?.Name ?? "unknown", ct);
        return error is null ? TypedResults.NoContent() : Problems.Create(StatusCodes.Status400BadRequest, "invalid-rotation", error);
    }
}
