namespace RecoveryComms.Contracts.Capture;

/// <summary>
/// A Twilio webhook that arrived while PostgreSQL was unreachable, parked on a durable RabbitMQ queue by the
/// webhooks service and stored by it once PostgreSQL answers again. Internal to the webhooks service.
/// </summary>
/// <param name="Route">The webhook route, e.g. <c>/twilio/voice/status</c>.</param>
/// <param name="Query">The query string of the URL Twilio called, as pairs.</param>
/// <param name="Parameters">Every form parameter, in the order received (repeated keys kept).</param>
/// <param name="IdempotencyToken">Twilio's <c>I-Twilio-Idempotency-Token</c>, when sent.</param>
/// <param name="ReceivedAt">When the webhooks service received it.</param>
/// <param name="TraceParent">The W3C trace context of the request, so the trace continues.</param>
public sealed record SpooledWebhook(
    string Route,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    IReadOnlyList<KeyValuePair<string, string>> Parameters,
    string? IdempotencyToken,
    DateTimeOffset ReceivedAt,
    string? TraceParent);
