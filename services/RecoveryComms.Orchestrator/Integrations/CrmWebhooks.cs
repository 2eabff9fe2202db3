using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;

namespace RecoveryComms.Orchestrator.Integrations;

/// <summary>The JSON every delivery carries (contract: <c>{id, type, occurredAt, item}</c>).</summary>
public sealed record WebhookEvent(Guid Id, string Type, DateTimeOffset OccurredAt, object Item);

/// <summary>
/// The seam the recovery queue calls from inside its item transactions: events for the shop's CRM are written to
/// <c>orchestrator.webhook_deliveries</c> with the change they describe and sent afterwards by
/// <see cref="WebhookDispatcher"/>, so a CRM that is down or slow never touches the loop.
/// </summary>
public sealed class CrmWebhooks(WebhookStore store, TimeProvider time, IOptions<CrmWebhookOptions> options)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Inside the caller's transaction: one delivery row per active subscription that wants <paramref name="eventType"/>,
    /// all with the same stable event id. Does nothing when nobody subscribes. Never calls the network.
    /// </summary>
    /// <param name="item">Serialized with System.Text.Json web defaults (camelCase) as the payload's <c>item</c>.</param>
    public async Task EnqueueAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string eventType, object item, DateTimeOffset occurredAt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(item);
        if (eventType is null || !CrmEvents.All.Contains(eventType))
        {
            throw new ArgumentException($"'{eventType}' is not one of the CRM event types ({string.Join(", ", CrmEvents.All)}).", nameof(eventType));
        }

        var now = time.GetUtcNow();
        // Note: version 7 ids sort by creation, which keeps a CRM's de-duplication index append-only.
        var eventId = Guid.CreateVersion7(now);
        // The exact text is stored, so every attempt sends (and signs) the bytes of the first.
        var body = JsonSerializer.Serialize(new WebhookEvent(eventId, eventType, occurredAt.ToUniversalTime(), item), Json);
        await store.EnqueueAsync(connection, transaction, eventId, eventType, body, now, now + options.Value.RetryFor, ct);
    }
}
