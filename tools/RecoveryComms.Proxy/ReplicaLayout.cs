using System.Globalization;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;

namespace RecoveryComms.Proxy;

/// <summary>The contract's layout as YARP routes and clusters: one listener per service, one cluster of its replicas.</summary>
public static class ReplicaLayout
{
    /// <summary>Set by the proxy from the port a request arrived on (whatever a client sent), matched by the routes, removed before forwarding.</summary>
    public const string ListenerHeader = "X-RecoveryComms-Listener";

    /// <summary>The contract's services and ports (../shared/docs/api-contract.md, "Replicas and operations").</summary>
    public static readonly IReadOnlyList<(string Name, int Port)> Services = [("webhooks", 5080), ("orchestrator", 5081), ("consent", 5082)];

    public static IReadOnlyList<RouteConfig> Routes() => [.. Services.Select(service => new RouteConfig
    {
        RouteId = service.Name,
        ClusterId = service.Name,
        Match = new RouteMatch
        {
            Path = "/{**rest}",
            Headers = [new RouteHeader { Name = ListenerHeader, Values = [Port(service.Port)], Mode = HeaderMatchMode.ExactHeader }],
        },
        // Note: Twilio signs the URL it called. The webhooks service checks the signature against Twilio__PublicBaseUrl plus
        // the path and query, which YARP forwards unchanged; the Host header is kept too, so nothing behind the proxy sees
        // another URL than the caller used. X-Forwarded-For/-Proto/-Host/-Prefix are YARP's defaults (set, not appended).
        Transforms =
        [
            new Dictionary<string, string>(StringComparer.Ordinal) { ["RequestHeaderOriginalHost"] = "true" },
            new Dictionary<string, string>(StringComparer.Ordinal) { ["RequestHeaderRemove"] = ListenerHeader },
        ],
    })];

    public static IReadOnlyList<ClusterConfig> Clusters(ProxyOptions options) => [.. Services.Select(service => new ClusterConfig
    {
        ClusterId = service.Name,
        LoadBalancingPolicy = LoadBalancingPolicies.PowerOfTwoChoices,
        HealthCheck = new HealthCheckConfig
        {
            // Note: when every replica fails its probe (PostgreSQL down makes the orchestrator and consent not ready), all
            // of them still get traffic: a 503 from a replica says more than the proxy's own, and the webhooks service answers
            // Twilio from its spool and journal exactly then.
            AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyOrPanic,
            Active = new ActiveHealthCheckConfig
            {
                Enabled = true,
                Interval = options.ProbeInterval,
                Timeout = options.ProbeTimeout,
                Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                Path = "/health/ready",
            },
            // A replica whose connections fail is taken out at once, without waiting for its probe, and tried again after 5 s.
            Passive = new PassiveHealthCheckConfig
            {
                Enabled = true,
                Policy = HealthCheckConstants.PassivePolicy.TransportFailureRate,
                ReactivationPeriod = TimeSpan.FromSeconds(5),
            },
        },
        Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [ConsecutiveFailuresHealthPolicyOptions.ThresholdMetadataName] = "2" },
        HttpRequest = new ForwarderRequestConfig
        {
            // Note: the live feed (GET /api/stream) is a response that never ends; YARP turns response buffering off unless
            // AllowResponseBuffering is set, and an event or the 20 s ping resets the activity timeout.
            AllowResponseBuffering = false,
            ActivityTimeout = service.Name == "orchestrator" ? options.StreamActivityTimeout : null,
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        },
        Destinations = Enumerable.Range(1, options.Replicas).ToDictionary(
            i => $"{service.Name}-{Port(i)}",
            i => new DestinationConfig { Address = ReplicaAddress(options.ReplicaUrl, service.Name, service.Port, i) },
            StringComparer.Ordinal),
    })];

    public static string ReplicaAddress(string template, string service, int contractPort, int replica) => template
        .Replace("{service}", service, StringComparison.Ordinal)
        .Replace("{i}", Port(replica), StringComparison.Ordinal)
        .Replace("{port}", Port(contractPort + (100 * replica)), StringComparison.Ordinal);

    private static string Port(int value) => value.ToString(CultureInfo.InvariantCulture);
}
