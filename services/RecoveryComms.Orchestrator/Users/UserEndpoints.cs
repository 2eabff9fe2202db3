using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Orchestrator.Users;

public sealed record CreateUserRequest(string? Name, string? Role, string? Phone);

public sealed record UserView(Guid Id, string Name, string Role, string? Phone);

public sealed record CreatedUser(Guid Id, string Name, string Role, string? Phone, Guid KeyId, string ApiKey);

public sealed record NewKey(Guid KeyId, string ApiKey);

/// <summary>Someone who can own recovery items: what a manager picks from when reassigning (no phone, no keys).</summary>
public sealed record StaffMember(Guid Id, string Name, string Role);

public static class UserEndpoints
{
    public static IEndpointRouteBuilder MapUserEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var users = endpoints.MapGroup("/api/users");
        users.MapPost("/", CreateAsync).RequireAuthorization(Policies.UserAdmin);
        users.MapGet("/", ListAsync).RequireAuthorization(Policies.Admin);
        users.MapPost("/{id:guid}/keys", RotateAsync).RequireAuthorization(Policies.Admin);
        users.MapDelete("/{id:guid}/keys/{keyId:guid}", RevokeAsync).RequireAuthorization(Policies.Admin);
        endpoints.MapGet("/api/staff", StaffAsync).RequireAuthorization(Policies.ManagerOrAdmin);
        return endpoints;
    }

    /// <summary>Creates a user and returns its API key: the only time the key is ever shown.</summary>
    private static async Task<Results<Created<CreatedUser>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateUserRequest request, UserStore store, ClaimsPrincipal caller, IOptions<PhoneOptions> phones, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200)
        {
            errors["name"] = ["A name of 1 to 200 characters is required."];
        }

        if (request.Role is null || !Roles.Issuable.Contains(request.Role))
        {
            errors["role"] = ["The role must be one of csr, manager, compliance, admin, integration, service."];
        }

        string? phone = null;
        if (!string.IsNullOrWhiteSpace(request.Phone))
        {
            if (Phone.TryNormalize(request.Phone, phones.Value.DefaultRegion, out var e164))
            {
                phone = e164;
            }
            else
            {
                errors["phone"] = ["The phone is not a valid number."];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, type: RecoveryComms.Hosting.Problems.TypeBase + "validation");
        }

        var byBootstrapKey = caller.HasClaim(ApiKeyAuthenticationHandler.BootstrapClaim, "true");
        if (await store.CreateAsync(name!, request.Role!, phone, caller.Identity?.Name ?? "unknown", byBootstrapKey, ct) is not (var user, var key))
        {
            // Another bootstrap request created an admin while this one was being let in.
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, type: RecoveryComms.Hosting.Problems.TypeBase + BootstrapKey.RetiredProblem,
                title: "The bootstrap key is retired",
                detail: "An admin has been created, so the bootstrap key is refused for good: use an admin's API key, and remove Auth:BootstrapAdminKey from the configuration.");
        }

        return TypedResults.Created($"/api/users/{user.Id}", new CreatedUser(user.Id, user.Name, user.Role, user.Phone, key.KeyId, key.ApiKey));
    }

    private static async Task<Ok<UserView[]>> ListAsync(UserStore store, CancellationToken ct) =>
        TypedResults.Ok((await store.ListAsync(ct)).Select(u => new UserView(u.Id, u.Name, u.Role, u.Phone)).ToArray());

    private static async Task<Ok<StaffMember[]>> StaffAsync(UserStore store, CancellationToken ct) =>
        TypedResults.Ok((await store.ListAsync(ct))
            .Where(u => u.Role is Roles.Csr or Roles.Manager)
            .OrderBy(u => u.Name, StringComparer.OrdinalIgnoreCase)
            .Select(u => new StaffMember(u.Id, u.Name, u.Role))
            .ToArray());

    /// <summary>Issues a new key and revokes the user's earlier keys.</summary>
    private static async Task<Results<Created<NewKey>, NotFound>> RotateAsync(Guid id, UserStore store, CancellationToken ct) =>
        await store.RotateAsync(id, ct) is { } key
            ? TypedResults.Created($"/api/users/{id}/keys/{key.KeyId}", new NewKey(key.KeyId, key.ApiKey))
            : TypedResults.NotFound();

    private static async Task<Results<NoContent, NotFound>> RevokeAsync(Guid id, Guid keyId, UserStore store, CancellationToken ct) =>
        await store.RevokeAsync(id, keyId, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
}
