using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Npgsql;

namespace RecoveryComms.Hosting.Auth;

/// <summary>How old a service's copy of the keys may be before its privileged routes refuse to answer.</summary>
public sealed class KeyReplicaOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// <c>Auth:KeyReplicaMaxAge</c>: the newest <c>ApiKeyHeartbeat</c> a replica stored must be younger than this
    /// (by the database's clock), else privileged routes answer 503 <c>key-replica-stale</c>. The owner publishes
    /// one a second, so three seconds allow two lost heartbeats. Zero turns the check off: only for test hosts
    /// that write keys straight into a replica with no owner running.
    /// </summary>
    [TimeSpanRange("00:00:00", "00:10:00")]
    public TimeSpan KeyReplicaMaxAge { get; set; } = TimeSpan.FromSeconds(3);
}

/// <summary>The schema of this service's <c>api_keys</c>, and whether this service owns the keys (the orchestrator) or replicates them.</summary>
public sealed record KeyReplicaSchema(string Schema, bool Owner);

/// <summary>A privileged route needs a key replica that provably holds every recent revocation.</summary>
public sealed class KeyReplicaFreshnessRequirement : IAuthorizationRequirement;

/// <summary>
/// The owner's own table is the truth, so it is always fresh. A replica is fresh while its newest heartbeat
/// (which carries the day's revocations, applied with it) is younger than <see cref="KeyReplicaOptions.KeyReplicaMaxAge"/>.
/// Without one, or when the database does not answer, it is stale: the route fails closed.
/// </summary>
public sealed class KeyReplicaFreshnessHandler(KeyReplicaSchema replica, NpgsqlDataSource dataSource, IOptions<KeyReplicaOptions> options)
    : AuthorizationHandler<KeyReplicaFreshnessRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, KeyReplicaFreshnessRequirement requirement)
    {
        ArgumentNullException.ThrowIfNull(context);
        var maxAge = options.Value.KeyReplicaMaxAge;
        if (replica.Owner || maxAge == TimeSpan.Zero || await IsFreshAsync(maxAge, (context.Resource as HttpContext)?.RequestAborted ?? default))
        {
            context.Succeed(requirement);
            return;
        }

        context.Fail(new AuthorizationFailureReason(this, "this service's copy of the API keys is stale"));
    }

    private async Task<bool> IsFreshAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = dataSource.CreateCommand(
                $"SELECT now() - published_at < @maxAge FROM {replica.Schema}.api_key_heartbeat WHERE id = 1");
            command.Parameters.AddWithValue("maxAge", maxAge);
            return await command.ExecuteScalarAsync(cancellationToken) is true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }
}

/// <summary>A stale replica is not the caller's fault: it answers 503 with <c>Retry-After</c>, not 403.</summary>
public sealed class KeyReplicaStaleResultHandler : IAuthorizationMiddlewareResultHandler
{
    public const string Problem = "key-replica-stale";
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailureReasons.Any(r => r.Handler is KeyReplicaFreshnessHandler) == true)
        {
            context.Response.Headers.RetryAfter = "1";
            await ApiKeyAuthenticationHandler.WriteProblemAsync(context, StatusCodes.Status503ServiceUnavailable, Problem,
                "Key revocations may not have reached this service",
                "This service has not heard from the key owner recently, so a revoked key could still look valid here. Privileged routes answer again once it has.");
            return;
        }

        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
