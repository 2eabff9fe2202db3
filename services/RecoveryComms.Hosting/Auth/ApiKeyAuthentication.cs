using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Hosting.Auth;

public sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>The schema whose <c>api_keys</c> table this service reads.</summary>
    public string Schema { get; set; } = "";

    /// <summary><c>Auth:BootstrapAdminKey</c>, accepted as an admin where <see cref="AcceptBootstrapKey"/> is set.</summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>Only the orchestrator accepts the bootstrap key, and only to create the first users.</summary>
    public bool AcceptBootstrapKey { get; set; }
}

/// <summary>
/// One handler for every service: <c>Authorization: Bearer &lt;key&gt;</c>, looked up by its SHA-256 in the
/// service's own <c>api_keys</c> table (the orchestrator writes its own; the others fill theirs from
/// <c>ApiKeyIssued</c>/<c>ApiKeyRevoked</c> events). A revoked key is refused as soon as the
/// revocation event is stored (plus <see cref="ApiKeyCache.Lifetime"/>).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<ApiKeyAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder, NpgsqlDataSource dataSource, ApiKeyCache cache)
    : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string BootstrapClaim = "rc:bootstrap";

    /// <summary>The SHA-256 of the key the request came with (what <c>api_keys.key_hash</c> holds), so a long-lived answer such as the live feed can check the key again.</summary>
    public const string KeyHashClaim = "rc:key-hash";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var key = header["Bearer ".Length..].Trim();
        if (key.Length == 0)
        {
            return AuthenticateResult.Fail("empty API key");
        }

        if (Options.AcceptBootstrapKey && !string.IsNullOrEmpty(Options.BootstrapAdminKey)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(Options.BootstrapAdminKey)))
        {
            // Note: the bootstrap key only opens an empty system. Once an admin has been created it is refused for
            // good (even when no admin holds a live key any more), so a leaked bootstrap key (it sits in
            // configuration and cannot be revoked) cannot mint admins. Requests let in here at the same moment take
            // turns in UserStore.CreateAsync.
            if (await BootstrapKey.RetiredAsync(dataSource, Options.Schema, Context.RequestAborted))
            {
                Context.Items[BootstrapKey.RetiredItem] = true;
                return AuthenticateResult.Fail("the bootstrap key is retired: an admin has been created");
            }

            return Success(Guid.Empty, "bootstrap", Roles.Bootstrap, bootstrap: true, keyHash: null);
        }

        var hash = ApiKeys.Hash(key);
        if (!cache.TryGet(hash, out var holder))
        {
            // Note: the generation is taken before the read, so a revocation that commits (and forgets the key)
            // while the read is under way keeps what the read saw out of the cache.
            var generation = cache.Generation;
            await using var command = dataSource.CreateCommand(
                $"SELECT user_id, user_name, role FROM {Options.Schema}.api_keys WHERE key_hash = @hash AND revoked_at IS NULL");
            command.Parameters.AddWithValue("hash", hash);
            await using var reader = await command.ExecuteReaderAsync(Context.RequestAborted);
            holder = await reader.ReadAsync(Context.RequestAborted) ? new KeyHolder(reader.GetGuid(0), reader.GetString(1), reader.GetString(2)) : null;
            cache.Set(hash, holder, generation);
        }

        return holder is null
            ? AuthenticateResult.Fail("unknown or revoked API key")
            : Success(holder.UserId, holder.Name, holder.Role, bootstrap: false, keyHash: hash);
    }

    // Note: the authorization middleware answers 401 and 403 before the status-code-pages middleware can see
    // them, so the handler writes the contract's problem+json itself (and the OpenAPI documents say so).
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        if (Context.Items.ContainsKey(BootstrapKey.RetiredItem))
        {
            await WriteProblemAsync(StatusCodes.Status401Unauthorized, BootstrapKey.RetiredProblem, "The bootstrap key is retired",
                "An admin has been created, so the bootstrap key is refused for good: use an admin's API key, and remove Auth:BootstrapAdminKey from the configuration.");
            return;
        }

        await WriteProblemAsync(StatusCodes.Status401Unauthorized, "unauthorized", "An API key is required",
            "Send Authorization: Bearer <API key> with a key that is neither unknown nor revoked.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "forbidden", "This key's role may not use this route");

    private Task WriteProblemAsync(int status, string slug, string title, string? detail = null) =>
        WriteProblemAsync(Context, status, slug, title, detail);

    internal static async Task WriteProblemAsync(HttpContext context, int status, string slug, string title, string? detail = null)
    {
        // Note: as every endpoint's problem, so a client whose Accept names no JSON gets the body too.
        await Problems.Create(status, slug, title, detail).ExecuteAsync(context);
    }

    private static AuthenticateResult Success(Guid userId, string name, string role, bool bootstrap, string? keyHash)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, userId.ToString()),
            new(ClaimTypes.Name, name),
            new(ClaimTypes.Role, role),
        };
        if (bootstrap)
        {
            claims.Add(new Claim(BootstrapClaim, "true"));
        }

        if (keyHash is not null)
        {
            claims.Add(new Claim(KeyHashClaim, keyHash));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
}

public sealed record KeyHolder(Guid UserId, string Name, string Role);

/// <summary>
/// Remembers key lookups for a quarter of a second: a busy service stops asking PostgreSQL for the same key on
/// every request, and a revocation still takes effect well within the one second the contract allows.
/// </summary>
/// <remarks>
/// A lookup that read the key before a revocation committed must not cache it after the revocation's
/// <see cref="Forget"/>: the reader takes <see cref="Generation"/> before its read and passes it to <see cref="Set"/>,
/// which stores nothing once any key was forgotten since. Forgetting is rare (a revocation), so the lookups it turns
/// away only read again.
/// </remarks>
public sealed class ApiKeyCache(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMilliseconds(250);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (KeyHolder? Holder, long Expires)> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _generation;

    /// <summary>How many times a key was forgotten: taken before a lookup's read, handed to <see cref="Set"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool TryGet(string hash, out KeyHolder? holder)
    {
        holder = null;
        if (_entries.TryGetValue(hash, out var entry) && entry.Expires > time.GetTimestamp())
        {
            holder = entry.Holder;
            return true;
        }

        return false;
    }

    /// <summary>Forgets a key at once (the orchestrator, after its revocation committed), and turns away every lookup read before now.</summary>
    public void Forget(string hash)
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _generation);
            _entries.TryRemove(hash, out _);
        }
    }

    /// <summary>Caches what a lookup read, unless a key was forgotten since it took <paramref name="generation"/>; false then.</summary>
    public bool Set(string hash, KeyHolder? holder, long generation)
    {
        // Note: under the same lock as Forget, so a forget cannot fall between the check and the write.
        lock (_gate)
        {
            if (Interlocked.Read(ref _generation) != generation)
            {
                return false;
            }

            if (_entries.Count > 10_000)
            {
                _entries.Clear();
            }

            _entries[hash] = (holder, time.GetTimestamp() + (long)(Lifetime.TotalSeconds * time.TimestampFrequency));
            return true;
        }
    }
}

public static class ApiKeyAuthenticationExtensions
{
    /// <summary>
    /// Bearer API keys read from <paramref name="schema"/>.api_keys, and the contract's role policies. The service
    /// that accepts the bootstrap key is the keys' owner (the orchestrator): it publishes <see cref="ApiKeyHeartbeatPublisher">heartbeats</see>.
    /// Every other service keeps a replica, and its privileged policies require that replica to be fresh.
    /// </summary>
    public static IServiceCollection AddApiKeyAuthentication(this IServiceCollection services, IConfiguration configuration, string schema, bool acceptBootstrapKey)
    {
        // Note: the cache measures with the system clock: tests that drive business time must not freeze it.
        services.AddSingleton(new ApiKeyCache(TimeProvider.System));
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, options =>
            {
                options.Schema = schema;
                options.AcceptBootstrapKey = acceptBootstrapKey;
                options.BootstrapAdminKey = configuration["Auth:BootstrapAdminKey"];
            });
        services.AddOptions<KeyReplicaOptions>().BindConfiguration(KeyReplicaOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(new KeyReplicaSchema(schema, Owner: acceptBootstrapKey));
        services.AddSingleton<IAuthorizationHandler, KeyReplicaFreshnessHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, KeyReplicaStaleResultHandler>();
        if (acceptBootstrapKey)
        {
            services.AddHostedService<ApiKeyHeartbeatPublisher>();
            services.AddHealthChecks().AddLoopCheck(ApiKeyHeartbeatPublisher.LoopName);
            if (!string.IsNullOrEmpty(configuration["Auth:BootstrapAdminKey"]))
            {
                services.AddHostedService<BootstrapKeyWarning>();
            }
        }

        // Note: a privileged route answers only while this service's copy of the keys is known to hold every
        // revocation (KeyReplicaFreshnessRequirement); the everyday routes (csr+, services) keep working through
        // a broker outage. The fallback policy makes a route mapped without any policy require a staff key
        // rather than be open: health and the OpenAPI document are marked anonymous explicitly.
        var fresh = new KeyReplicaFreshnessRequirement();
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName).RequireRole(Roles.All).Build())
            .AddPolicy(Policies.CsrOrAbove, p => p.RequireRole(Roles.Csr, Roles.Manager, Roles.Admin))
            .AddPolicy(Policies.ManagerOrAdmin, p => p.RequireRole(Roles.Manager, Roles.Admin).AddRequirements(fresh))
            .AddPolicy(Policies.ComplianceOnly, p => p.RequireRole(Roles.Compliance).AddRequirements(fresh))
            .AddPolicy(Policies.ComplianceOrAdmin, p => p.RequireRole(Roles.Compliance, Roles.Admin).AddRequirements(fresh))
            .AddPolicy(Policies.ComplianceOrManager, p => p.RequireRole(Roles.Compliance, Roles.Manager).AddRequirements(fresh))
            .AddPolicy(Policies.ConsentStaff, p => p.RequireRole(Roles.Compliance, Roles.Manager, Roles.Admin).AddRequirements(fresh))
            .AddPolicy(Policies.AccountWriter, p => p.RequireRole(Roles.Admin, Roles.Integration).AddRequirements(fresh))
            .AddPolicy(Policies.CallbackWriter, p => p.RequireRole(Roles.Csr, Roles.Manager, Roles.Admin, Roles.Integration))
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin).AddRequirements(fresh))
            .AddPolicy(Policies.UserAdmin, p => p.RequireRole(Roles.Admin, Roles.Bootstrap).AddRequirements(fresh));
        services.AddKeyEventSignatures(owner: acceptBootstrapKey);
        services.AddKeyReplicaPolicies(owner: acceptBootstrapKey);
        return services;
    }
}

/// <summary>A small endpoint every authenticated service offers: who the key belongs to.</summary>
public static class WhoAmIEndpoint
{
    public static void MapWhoAmI(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/api/me", (ClaimsPrincipal user) =>
            TypedResults.Ok(new
            {
                id = user.FindFirstValue(ClaimTypes.NameIdentifier),
                name = user.Identity?.Name,
                role = user.FindFirstValue(ClaimTypes.Role),
            }))
        .RequireAuthorization();
}
