using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace RecoveryComms.Hosting.Auth;

internal static class KeyReplicaPolicies
{
    /// <summary>
    /// The <see cref="Policies.Service"/> policy (service credentials only), and on a replica every route, not only the
    /// privileged ones, requires a fresh replica.
    /// </summary>
    public static IServiceCollection AddKeyReplicaPolicies(this IServiceCollection services, bool owner)
    {
        var fresh = new KeyReplicaFreshnessRequirement();
        services.AddAuthorizationBuilder().AddPolicy(Policies.Service, p => p.RequireRole(Roles.Service).AddRequirements(fresh));
        if (!owner)
        {
            // Note: a replica cannot tell a live key from one revoked during a broker outage, so on a replica even the
            // everyday routes (a CSR's flags, /api/me, routes mapped without a policy) fail closed while it is stale;
            // its SMS gate and contact resolution run over the bus and are not routes.
            services.PostConfigure<AuthorizationOptions>(options =>
            {
                var freshOnly = new AuthorizationPolicyBuilder().AddRequirements(fresh).Build();
                options.DefaultPolicy = AuthorizationPolicy.Combine(options.DefaultPolicy, freshOnly);
                if (options.FallbackPolicy is { } fallback)
                {
                    options.FallbackPolicy = AuthorizationPolicy.Combine(fallback, freshOnly);
                }

                foreach (var name in new[] { Policies.CsrOrAbove, Policies.CallbackWriter })
                {
                    if (options.GetPolicy(name) is { } policy)
                    {
                        options.AddPolicy(name, AuthorizationPolicy.Combine(policy, freshOnly));
                    }
                }
            });
        }

        return services;
    }
}
