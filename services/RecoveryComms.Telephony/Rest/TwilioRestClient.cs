using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace RecoveryComms.Telephony.Rest;

/// <summary>
/// Twilio's 2010-04-01 REST API over <see cref="HttpClient"/>: HTTP Basic auth with the account SID and auth
/// token, form-encoded bodies, JSON answers, and Twilio's error JSON turned into <see cref="TwilioApiException"/>.
/// Retries live in the HTTP pipeline (see <see cref="TwilioServiceCollectionExtensions"/>).
/// </summary>
/// <param name="http">A client whose pipeline carries the retry policy.</param>
/// <param name="options">The Twilio account.</param>
public sealed class TwilioRestClient(HttpClient http, IOptions<TwilioOptions> options) : ITwilioRestClient
{
    private readonly TwilioOptions _options = options.Value;

    /// <inheritdoc />
    public async Task<CallResource> CreateCallAsync(CreateCallRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var form = new List<KeyValuePair<string, string>>
        {
            new("To", request.To),
            new("From", request.From),
            new("Url", request.Url.AbsoluteUri),
            new("Method", "POST"),
        };
        if (request.StatusCallback is not null)
        {
            form.Add(new("StatusCallback", request.StatusCallback.ToString()));
            form.Add(new("StatusCallbackMethod", "POST"));
            foreach (var statusEvent in new[] { "initiated", "ringing", "answered", "completed" })
            {
                form.Add(new("StatusCallbackEvent", statusEvent));
            }
        }

        if (request.TimeoutSeconds is { } timeout)
        {
            form.Add(new("Timeout", timeout.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var answer = await PostAsync<ResourceAnswer>("Calls.json", form, cancellationToken).ConfigureAwait(false);
        return new CallResource(answer.Sid, answer.Status);
    }

    /// <inheritdoc />
    public async Task<MessageResource> CreateMessageAsync(CreateMessageRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if ((request.From is null) == (request.MessagingServiceSid is null))
        {
            throw new ArgumentException("Give exactly one of From and MessagingServiceSid.", nameof(request));
        }

        var form = new List<KeyValuePair<string, string>> { new("To", request.To), new("Body", request.Body) };
        form.Add(request.From is not null ? new("From", request.From) : new("MessagingServiceSid", request.MessagingServiceSid!));
        if (request.StatusCallback is not null)
        {
            form.Add(new("StatusCallback", request.StatusCallback.ToString()));
        }

        var answer = await PostAsync<ResourceAnswer>("Messages.json", form, cancellationToken).ConfigureAwait(false);
        return new MessageResource(answer.Sid, answer.Status);
    }

    private async Task<T> PostAsync<T>(string resource, List<KeyValuePair<string, string>> form, CancellationToken cancellationToken)
    {
        var uri = new Uri($"{_options.ApiBaseUrl.TrimEnd('/')}/2010-04-01/Accounts/{Uri.EscapeDataString(_options.AccountSid)}/{resource}");
        using var message = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new FormUrlEncodedContent(form) };
        message.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_options.AccountSid}:{_options.AuthToken}")));
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        using var response = await http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return await response.Content.ReadFromJsonAsync<T>(cancellationToken).ConfigureAwait(false)
            ?? throw new TwilioApiException((int)response.StatusCode, null, "empty answer", null);
    }

    private static async Task<TwilioApiException> ToExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var error = JsonSerializer.Deserialize<ErrorAnswer>(text);
            if (error?.Message is not null)
            {
                return new TwilioApiException(status, error.Code, error.Message, error.MoreInfo);
            }
        }
        catch (JsonException)
        {
            // Not Twilio's error JSON (a proxy's HTML page, say): keep the raw text below.
        }

        return new TwilioApiException(status, null, text.Length > 200 ? text[..200] : text, null);
    }

    private sealed record ResourceAnswer(
        [property: JsonPropertyName("sid")] string Sid,
        [property: JsonPropertyName("status")] string Status);

    private sealed record ErrorAnswer(
        [property: JsonPropertyName("code")] int? Code,
        [property: JsonPropertyName("message")] string? Message,
        [property: JsonPropertyName("more_info")] string? MoreInfo);
}
