using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Orchestrator.Actions;
using RecoveryComms.Orchestrator.Users;
using RecoveryComms.Orchestrator.Views;

namespace RecoveryComms.Orchestrator.Settings;

public sealed record SettingsHistory(IReadOnlyList<SettingsVersion> Versions);

/// <summary>The shop settings a manager changes in the console (see docs/orchestrator.md, "Settings").</summary>
public static class SettingsEndpoints
{
    public static IEndpointRouteBuilder MapSettingsEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // CSRs read them too: the talk tracks and the SMS template are theirs to use; the ring group's numbers (staff
        // phones) only masked.
        endpoints.MapGet("/api/settings", (ShopSettings settings, ClaimsPrincipal user) =>
                TypedResults.Ok(ShopSettings.ForReader(settings.Current.ToDocument(), ItemActions.IsManager(user))))
            .RequireAuthorization(Policies.CsrOrAbove);
        endpoints.MapPut("/api/settings", SaveAsync).RequireAuthorization(Policies.ManagerOrAdmin);
        endpoints.MapGet("/api/settings/history", async (int? limit, SettingsStore store, CancellationToken ct) =>
            TypedResults.Ok(new SettingsHistory(await store.HistoryAsync(Math.Clamp(limit ?? 50, 1, 500), ct))))
            .RequireAuthorization(Policies.ManagerOrAdmin);
        return endpoints;
    }

    private static async Task<Results<Ok<ShopSettingsDocument>, ValidationProblem, ProblemHttpResult>> SaveAsync(
        ShopSettingsDocument? document, SettingsStore store, UserStore users, IOptions<PhoneOptions> phones, IConfiguration configuration, ClaimsPrincipal user, CancellationToken ct)
    {
        var (errors, normalized) = ShopSettings.Validate(document, phones.Value.DefaultRegion,
            configuration.GetSection("Recovery:RingGroupCountries").Get<string[]>());
        if (normalized?.FallbackOwners is { } fallback && new[] { fallback.PrimaryUserId, fallback.BackupUserId }.OfType<Guid>().ToArray() is { Length: > 0 } named
            && !await users.CanOwnItemsAsync(named, ct))
        {
            errors = new() { ["fallbackOwners"] = ["Fallback owners must be existing CSRs, managers or admins."] };
            normalized = null;
        }

        if (normalized is null)
        {
            return TypedResults.ValidationProblem(errors, type: Problems.TypeBase + "validation");
        }

        var saved = await store.SaveAsync(normalized, normalized.Version!.Value, QueueEndpoints.Me(user).Name, ct);
        return saved is null
            ? Problems.Create(409, "settings-changed", "The settings were changed since you loaded them.",
                "Someone saved a newer version: reload the settings, redo your change and save again.")
            : TypedResults.Ok(saved.ToDocument());
    }
}
