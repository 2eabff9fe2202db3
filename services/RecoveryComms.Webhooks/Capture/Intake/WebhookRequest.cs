using System.Globalization;
using RecoveryComms.Contracts.Capture;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>One Twilio callback as received: every parameter (repeated keys kept), in arrival order.</summary>
public sealed record WebhookRequest(
    string Route,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    IReadOnlyList<KeyValuePair<string, string>> Parameters,
    string? IdempotencyToken,
    DateTimeOffset ReceivedAt,
    string? TraceParent)
{
    public string? this[string name] => Parameters.FirstOrDefault(p => p.Key == name).Value is { Length: > 0 } value ? value : null;

    public string Required(string name) => this[name] ?? throw new WebhookRejectedException($"The {name} parameter is missing.");

    public int? OptionalInt(string name) => this[name] switch
    {
        null => null,
        var text when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0 => value,
        var text => throw new WebhookRejectedException($"The {name} parameter must be a whole number, not '{text}'."),
    };

    /// <summary>Twilio's RFC 2822 <c>Timestamp</c> when sent and valid, else when we received it.</summary>
    public DateTimeOffset OccurredAt =>
        this["Timestamp"] is { } stamp && DateTimeOffset.TryParse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : ReceivedAt;

    /// <summary>A value from the query string of the URL we gave Twilio (signed along with the URL).</summary>
    public string? QueryValue(string name) => Query.FirstOrDefault(p => p.Key == name).Value is { Length: > 0 } value ? value : null;

    public SpooledWebhook ToSpooled() => new(Route, Query, Parameters, IdempotencyToken, ReceivedAt, TraceParent);

    public static WebhookRequest FromSpooled(SpooledWebhook spooled)
    {
        ArgumentNullException.ThrowIfNull(spooled);
        return new(spooled.Route, spooled.Query, spooled.Parameters, spooled.IdempotencyToken, spooled.ReceivedAt, spooled.TraceParent);
    }
}

/// <summary>Input Twilio could not have sent: answered 400 with problem+json, nothing stored.</summary>
public sealed class WebhookRejectedException(string message) : Exception(message);
