using System.ComponentModel.DataAnnotations;
using System.Net;
using RecoveryComms.Hosting;

namespace RecoveryComms.Orchestrator.Integrations;

/// <summary><c>Integrations:Webhooks</c>: how outbound webhooks are sent and retried.</summary>
public sealed class CrmWebhookOptions
{
    public const string Section = "Integrations:Webhooks";

    /// <summary>How long one POST to a CRM may take before it counts as failed; a slow CRM holds one slot no longer.</summary>
    [TimeSpanRange("00:00:00.100", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries in flight at once per orchestrator replica.</summary>
    [Range(1, 256)]
    public int MaxInFlight { get; set; } = 16;

    /// <summary>Deliveries in flight at once to one subscription, so one slow CRM cannot take every slot.</summary>
    [Range(1, 256)]
    public int MaxInFlightPerWebhook { get; set; } = 4;

    /// <summary>The wait after the first failed attempt; it doubles after each further one.</summary>
    [TimeSpanRange("00:00:00.001", "01:00:00")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait between two attempts.</summary>
    [TimeSpanRange("00:00:00.001", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long after its creation a delivery is retried before it is marked failed (contract: 24 hours).</summary>
    [TimeSpanRange("00:00:01", "30.00:00:00")]
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the dispatcher looks for due retries; new deliveries wake it at once by NOTIFY.</summary>
    [TimeSpanRange("00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Networks a CRM may be on although they are not public (a CRM on the shop's own network): CIDR (<c>10.20.0.0/16</c>)
    /// or single addresses (<c>192.168.1.10</c>). Empty by default: loopback, link-local, private and reserved ranges
    /// are refused (<see cref="CrmDestinations"/>).
    /// </summary>
    public string[] AllowedNetworks { get; set; } = [];

    /// <summary>A network of <see cref="AllowedNetworks"/>; a bare address is its own /32 or /128. Null when it is neither.</summary>
    public static IPNetwork? ParseNetwork(string? text)
    {
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }

        if (!trimmed.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(trimmed, out var address))
        {
            return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }

        return IPNetwork.TryParse(trimmed, out var network) ? network : null;
    }
}

/// <summary>When a failed delivery is tried again: exponential backoff with jitter, never past its expiry.</summary>
public static class RetrySchedule
{
    /// <summary>
    /// The next attempt after <paramref name="attemptsMade"/> failed ones (the latest at <paramref name="now"/>), or
    /// null when the delivery has expired and must be marked failed. <paramref name="random"/> is in [0, 1).
    /// </summary>
    public static DateTimeOffset? NextAttempt(DateTimeOffset now, int attemptsMade, DateTimeOffset expiresAt, CrmWebhookOptions options, double random)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (now >= expiresAt)
        {
            return null;
        }

        var next = now + Delay(attemptsMade, options, random);
        // The last try happens at the expiry itself, so a CRM that is back by then still gets the event.
        return next < expiresAt ? next : expiresAt;
    }

    /// <summary>
    /// FirstRetryDelay doubled per further attempt, capped at MaxRetryDelay, then "equal jitter": a uniformly random
    /// point in its upper half, so replicas retrying many deliveries to a recovering CRM do not arrive in one burst.
    /// </summary>
    public static TimeSpan Delay(int attemptsMade, CrmWebhookOptions options, double random)
    {
        ArgumentNullException.ThrowIfNull(options);
        var exponent = Math.Clamp(attemptsMade - 1, 0, 30);
        var nominal = Math.Min(options.FirstRetryDelay.Ticks * Math.Pow(2, exponent), options.MaxRetryDelay.Ticks);
        return TimeSpan.FromTicks((long)(nominal * (0.5 + (0.5 * Math.Clamp(random, 0, 1)))));
    }
}
