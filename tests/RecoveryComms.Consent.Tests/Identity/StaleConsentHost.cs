using Microsoft.AspNetCore.Hosting;

namespace RecoveryComms.Consent.Tests.Identity;

/// <summary>
/// The consent service with the freshness rule on (three seconds, as in production) and no key owner running: no
/// heartbeat comes unless a test publishes one, so its key replica is stale from the start.
/// </summary>
public sealed class StaleConsentHost : ConsentHost
{
    protected override void ConfigureWebHost(IWebHostBuilder web) => web.UseSetting("Auth:KeyReplicaMaxAge", "00:00:03");
}
