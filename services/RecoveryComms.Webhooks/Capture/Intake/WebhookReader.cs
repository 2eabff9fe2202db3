using System.Buffers;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using RecoveryComms.Telephony;
using RecoveryComms.Telephony.Signatures;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>Reads a webhook off the wire: size limit, form parsing and the signature check, in that order.</summary>
public sealed class WebhookReader(IOptions<TwilioOptions> twilio, TimeProvider time)
{
    /// <summary>The contract's limit: larger bodies get 413.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public async Task<ReadResult> ReadAsync(HttpContext http, string route)
    {
        ArgumentNullException.ThrowIfNull(http);
        var request = http.Request;
        if (request.ContentLength > MaxBodyBytes)
        {
            return ReadResult.TooLarge;
        }

        if (!request.HasFormContentType || request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true)
        {
            return ReadResult.Malformed("Twilio webhooks are application/x-www-form-urlencoded POSTs.");
        }

        var body = await ReadLimitedAsync(request.Body, http.RequestAborted);
        if (body is null)
        {
            return ReadResult.TooLarge;
        }

        List<KeyValuePair<string, string>> parameters;
        try
        {
            parameters = ParseForm(body);
        }
        catch (Exception e) when (e is InvalidDataException or DecoderFallbackException)
        {
            return ReadResult.Malformed("The body is not a valid form.");
        }

        var signature = request.Headers[TwilioSignature.HeaderName].ToString();
        if (!TwilioSignature.IsValid(twilio.Value.AuthToken, PublicUrl(http), parameters, signature))
        {
            return ReadResult.Forbidden;
        }

        var token = request.Headers["I-Twilio-Idempotency-Token"].ToString();
        var query = request.Query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))).ToList();
        return ReadResult.Ok(new WebhookRequest(
            route, query, parameters, token.Length == 0 ? null : token, time.GetUtcNow(), Activity.Current?.Id));
    }

    // Note: Twilio signs the URL it was given, so the signature is checked against the public base URL plus
    // the raw path and query as sent (RawTarget is not decoded or re-encoded), never the URL as seen behind a proxy.
    private string PublicUrl(HttpContext http)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || !raw.StartsWith('/'))
        {
            raw = http.Request.Path.ToUriComponent() + http.Request.QueryString.ToUriComponent();
        }

        return twilio.Value.PublicBaseUrl.TrimEnd('/') + raw;
    }

    private static async Task<string?> ReadLimitedAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxBodyBytes + 1);
        try
        {
            var total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(total, MaxBodyBytes + 1 - total), cancellationToken)) > 0)
            {
                total += read;
                if (total > MaxBodyBytes)
                {
                    return null;
                }
            }

            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, total);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static List<KeyValuePair<string, string>> ParseForm(string body)
    {
        var result = new List<KeyValuePair<string, string>>();
        using var reader = new FormReader(body) { ValueCountLimit = 1024, KeyLengthLimit = 1024, ValueLengthLimit = MaxBodyBytes };
        while (reader.ReadNextPair() is { } pair)
        {
            result.Add(new(pair.Key, pair.Value));
        }

        return result;
    }
}

public sealed record ReadResult(int Status, WebhookRequest? Request, string? Problem)
{
    public static readonly ReadResult TooLarge = new(StatusCodes.Status413PayloadTooLarge, null, "Webhook bodies are limited to 64 KiB.");
    public static readonly ReadResult Forbidden = new(StatusCodes.Status403Forbidden, null, "The X-Twilio-Signature header is missing or does not match.");

    public static ReadResult Malformed(string problem) => new(StatusCodes.Status400BadRequest, null, problem);

    public static ReadResult Ok(WebhookRequest request) => new(StatusCodes.Status200OK, request, null);
}
