using System.Text.Json;
using Dapper;
using Npgsql;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary><c>webhooks.inbound_webhooks</c>: every callback, raw and complete, stored once.</summary>
public static class WebhookLog
{
    private const string InsertSql = """
        INSERT INTO webhooks.inbound_webhooks
            (provider_sid, kind, route, parameters, idempotency_token, received_at, spooled, response_status, response_type, response_body)
        VALUES (@ProviderSid, @Kind, @Route, @Parameters::jsonb, @IdempotencyToken, @ReceivedAt, @Spooled, @Status, @ContentType, @Body)
        ON CONFLICT (provider_sid, kind) DO NOTHING
        RETURNING id
        """;

    private const string AnswerSql = """
        SELECT response_status AS Status, response_type AS ContentType, response_body AS Body
        FROM webhooks.inbound_webhooks WHERE provider_sid = @ProviderSid AND kind = @Kind
        """;

    /// <summary>
    /// Stores the callback; false when it was stored before. Note: with a concurrent duplicate the second
    /// INSERT waits for the first transaction and then does nothing, so exactly one row (and one set of
    /// events) results however many copies Twilio sends at once.
    /// </summary>
    public static async Task<bool> TryInsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, WebhookRequest request, CallbackKey key, WebhookAnswer answer, bool spooled, CancellationToken cancellationToken)
    {
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(InsertSql, new
        {
            key.ProviderSid,
            key.Kind,
            request.Route,
            Parameters = JsonSerializer.Serialize(request.Parameters.Select(p => new[] { p.Key, p.Value })),
            request.IdempotencyToken,
            request.ReceivedAt,
            Spooled = spooled,
            answer.Status,
            answer.ContentType,
            answer.Body,
        }, transaction, cancellationToken: cancellationToken));
        return id is not null;
    }

    public static Task<WebhookAnswer> StoredAnswerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CallbackKey key, CancellationToken cancellationToken) =>
        connection.QuerySingleAsync<WebhookAnswer>(new CommandDefinition(AnswerSql, key, transaction, cancellationToken: cancellationToken));
}
