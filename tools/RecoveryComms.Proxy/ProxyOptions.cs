using System.ComponentModel.DataAnnotations;

namespace RecoveryComms.Proxy;

/// <summary>The <c>Proxy</c> section: how many replicas of each service stand behind the contract ports, and where.</summary>
public sealed class ProxyOptions
{
    public const string Section = "Proxy";

    /// <summary><c>--replicas N</c> on the command line is <c>Proxy:Replicas</c> (environment: <c>Proxy__Replicas</c>).</summary>
    public static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal) { ["--replicas"] = $"{Section}:{nameof(Replicas)}" };

    [Range(1, 9)]
    public int Replicas { get; set; } = 2;

    /// <summary>The address the contract ports 5080–5082 are bound to (<c>0.0.0.0</c> in a container).</summary>
    [Required]
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Where replica <c>{i}</c> (1-based) of <c>{service}</c> (webhooks, orchestrator, consent) answers; <c>{port}</c> is the
    /// contract's replica port, <c>5080+100·i</c>, <c>5081+100·i</c>, <c>5082+100·i</c>. Compose: <c>http://{service}-{i}:8080</c>.
    /// </summary>
    [Required]
    public string ReplicaUrl { get; set; } = "http://127.0.0.1:{port}";

    /// <summary>How often each replica's <c>/health/ready</c> is asked; two failures in a row take it out of the rotation.</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:01:00")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a probe may take before it counts as a failure.</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:01:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a proxied request may stay idle. The live feed pings every 20 s; longer than that, with room.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "1.00:00:00")]
    public TimeSpan StreamActivityTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
