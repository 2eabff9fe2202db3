using Microsoft.AspNetCore.Http.HttpResults;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Orchestrator.Owners;
using RecoveryComms.Orchestrator.Settings;
using RecoveryComms.Orchestrator.Users;

namespace RecoveryComms.Orchestrator.Console;

/// <summary>What the console shows every signed-in user about the shop, whatever their role.</summary>
/// <param name="ShopName">The shop's name, as its texts start.</param>
/// <param name="TimeZone">The shop's IANA zone (<c>America/Chicago</c>): every time the console shows is in it.</param>
/// <param name="Setup">What the shop must still set up so every new callback has two named owners (<see cref="OwnerSetup"/>); empty when nothing.</param>
public sealed record ConsoleShop(string ShopName, string TimeZone, IReadOnlyList<string> Setup);

/// <summary>
/// The console's own route: <c>GET /api/console/shop</c>. The page needs the shop's zone before it shows any time,
/// and compliance staff may not read <c>GET /api/settings</c>, so the zone (and the shop's name, which is on every
/// text anyway) is answered here to every staff role.
/// </summary>
public static class ConsoleEndpoints
{
    public static IEndpointRouteBuilder MapConsoleEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/console/shop", Shop)
            .RequireAuthorization(policy => policy.RequireRole(Roles.Csr, Roles.Manager, Roles.Admin, Roles.Compliance));
        return endpoints;
    }

    private static async Task<Ok<ConsoleShop>> Shop(ShopSettings settings, Rotation rotation, UserStore users, CancellationToken ct)
    {
        var current = settings.Current;
        var setup = OwnerSetup.Warnings(await rotation.WeekAsync(ct), current.FallbackOwners, OwnerSetup.StaffCount(await users.ListAsync(ct)));
        return TypedResults.Ok(new ConsoleShop(current.ShopName, current.TimeZone, setup));
    }
}
