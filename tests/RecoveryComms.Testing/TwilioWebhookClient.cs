using RecoveryComms.Telephony.Signatures;

namespace RecoveryComms.Testing;

/// <summary>Posts form-encoded webhooks signed exactly as Twilio signs them.</summary>
public sealed class TwilioWebhookClient(HttpClient http, string authToken, string publicBaseUrl)
{
    public Task<HttpResponseMessage> PostAsync(string pathAndQuery, IEnumerable<KeyValuePair<string, string>> parameters, string? signature = null, string? idempotencyToken = null)
    {
        var form = parameters.ToList();
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add(TwilioSignature.HeaderName, signature ?? TwilioSignature.Compute(authToken, publicBaseUrl.TrimEnd('/') + pathAndQuery, form));
        if (idempotencyToken is not null)
        {
            request.Headers.Add("I-Twilio-Idempotency-Token", idempotencyToken);
        }

        return http.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostAsync(string pathAndQuery, params (string Key, string Value)[] parameters) =>
        PostAsync(pathAndQuery, parameters.Select(p => new KeyValuePair<string, string>(p.Key, p.Value)));
}

/// <summary>Twilio-shaped ids for tests: fresh per call, so tests never collide.</summary>
public static class Sids
{
    public static string Call() => "CA" + Guid.NewGuid().ToString("N");

    public static string Recording() => "RE" + Guid.NewGuid().ToString("N");

    public static string Transcription() => "TR" + Guid.NewGuid().ToString("N");

    public static string Message() => "SM" + Guid.NewGuid().ToString("N");

    /// <summary>A Chicago 555 number outside the ones the test hosts configure (0000–0199).</summary>
    public static string Phone() => "+1312555" + Random.Shared.Next(2000, 10000).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
