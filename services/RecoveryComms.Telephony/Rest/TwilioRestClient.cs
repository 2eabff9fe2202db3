using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace RecoveryComms.Telephony.Rest;

/// <summary>
/// Twilio's 2010-04-01 REST API over <see cref="HttpClient"/>: HTTP Basic auth with the account SID and auth
/// token, form-encoded bodies, JSON answers, and Twilio's error JSON turned into <see cref="TwilioApiException"/>.
/// A create whose answer is lost (network error, timeout, 5xx, unreadable body) throws
/// <see cref="TwilioOutcomeUnknownException"/>. Retries and the per-request timeout live in the HTTP pipeline
/// (see <see cref="TwilioServiceCollectionExtensions"/>).
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

        if (request.ValidityPeriod is { } validity)
        {
            form.Add(new("ValidityPeriod", ((int)Math.Clamp(validity.TotalSeconds, 1, 36000)).ToString(CultureInfo.InvariantCulture)));
        }

        var answer = await PostAsync<ResourceAnswer>("Messages.json", form, cancellationToken).ConfigureAwait(false);
        return new MessageResource(answer.Sid, answer.Status);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<MessageRecord>> ListMessagesAsync(ListMessagesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pageSize = Math.Clamp(request.MaxResults, 1, 1000);
        // Note: "DateSent>=2026-11-18" is the key "DateSent>" with the value "2026-11-18", as Twilio's SDKs send it.
        var next = $"/2010-04-01/Accounts/{Uri.EscapeDataString(_options.AccountSid)}/Messages.json"
            + $"?To={Uri.EscapeDataString(request.To)}"
            + $"&{Uri.EscapeDataString("DateSent>")}={request.SentOnOrAfter.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"
            + $"&PageSize={pageSize.ToString(CultureInfo.InvariantCulture)}";
        var messages = new List<MessageRecord>();
        while (next is not null && messages.Count < request.MaxResults)
        {
            var page = await GetAsync<MessagePage>(next, cancellationToken).ConfigureAwait(false);
            messages.AddRange((page.Messages ?? []).Select(ToRecord).Take(request.MaxResults - messages.Count));
            next = string.IsNullOrEmpty(page.NextPageUri) ? null : page.NextPageUri;
        }

        return messages;
    }

    /// <inheritdoc />
    public async Task<CallRecord?> GetCallAsync(string callSid, CancellationToken cancellationToken)
    {
        if (!TwilioSids.IsCall(callSid))
        {
            throw new ArgumentException("Not a call SID (CA and 32 hex digits).", nameof(callSid));
        }

        try
        {
            var call = await GetAsync<CallAnswer>($"/2010-04-01/Accounts/{Uri.EscapeDataString(_options.AccountSid)}/Calls/{callSid}.json", cancellationToken).ConfigureAwait(false);
            return ToRecord(call);
        }
        catch (TwilioApiException e) when (e.HttpStatus == 404)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CallRecord>> ListCallsAsync(ListCallsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pageSize = Math.Clamp(request.MaxResults, 1, 1000);
        var query = new List<string>();
        if (request.To is not null)
        {
            query.Add($"To={Uri.EscapeDataString(request.To)}");
        }

        if (request.From is not null)
        {
            query.Add($"From={Uri.EscapeDataString(request.From)}");
        }

        if (request.ParentCallSid is not null)
        {
            query.Add($"ParentCallSid={Uri.EscapeDataString(request.ParentCallSid)}");
        }

        if (request.StartedOnOrAfter is { } day)
        {
            // Note: "StartTime>=2026-11-18" is the key "StartTime>" with the value "2026-11-18", as Twilio's SDKs send it.
            query.Add($"{Uri.EscapeDataString("StartTime>")}={day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}");
        }

        query.Add($"PageSize={pageSize.ToString(CultureInfo.InvariantCulture)}");
        var next = $"/2010-04-01/Accounts/{Uri.EscapeDataString(_options.AccountSid)}/Calls.json?{string.Join('&', query)}";
        var calls = new List<CallRecord>();
        while (next is not null && calls.Count < request.MaxResults)
        {
            var page = await GetAsync<CallPage>(next, cancellationToken).ConfigureAwait(false);
            calls.AddRange((page.Calls ?? []).Select(ToRecord).Take(request.MaxResults - calls.Count));
            next = string.IsNullOrEmpty(page.NextPageUri) ? null : page.NextPageUri;
        }

        return calls;
    }

    /// <inheritdoc />
    public async Task<RecordingAudio?> OpenRecordingAsync(string recordingSid, CancellationToken cancellationToken)
    {
        if (!TwilioSids.IsRecording(recordingSid))
        {
            throw new ArgumentException("Not a recording SID (RE and 32 lowercase hex digits).", nameof(recordingSid));
        }

        // Note: the URL is built from the validated SID and the configured API base, never from a stored RecordingUrl.
        var uri = new Uri($"{_options.ApiBaseUrl.TrimEnd('/')}/2010-04-01/Accounts/{Uri.EscapeDataString(_options.AccountSid)}/Recordings/{recordingSid}.mp3");
        using var message = Authorized(new HttpRequestMessage(HttpMethod.Get, uri), "audio/mpeg");
        var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                response.Dispose();
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
            }

            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new RecordingAudio(body, response.Content.Headers.ContentType?.ToString() ?? "audio/mpeg", response.Content.Headers.ContentLength, response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<T> PostAsync<T>(string resource, List<KeyValuePair<string, string>> form, CancellationToken cancellationToken)
    {
        var uri = new Uri($"{_options.ApiBaseUrl.TrimEnd('/')}/2010-04-01/Accounts/{Uri.EscapeDataString(_options.AccountSid)}/{resource}");
        using var message = Authorized(new HttpRequestMessage(HttpMethod.Post, uri) { Content = new FormUrlEncodedContent(form) });
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or IOException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Note: the request may have been written before the connection failed or the timeout struck.
            throw new TwilioOutcomeUnknownException(resource, null, e);
        }

        using (response)
        {
            if ((int)response.StatusCode >= 500)
            {
                Exception cause;
                try
                {
                    cause = await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    cause = e;
                }

                throw new TwilioOutcomeUnknownException(resource, (int)response.StatusCode, cause);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                return await response.Content.ReadFromJsonAsync<T>(cancellationToken).ConfigureAwait(false)
                    ?? throw new JsonException("empty answer");
            }
            catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
            {
                // Twilio said 2xx (so it acted) but the SID was lost on the way.
                throw new TwilioOutcomeUnknownException(resource, null, e);
            }
        }
    }

    private async Task<T> GetAsync<T>(string pathAndQuery, CancellationToken cancellationToken)
    {
        using var message = Authorized(new HttpRequestMessage(HttpMethod.Get, new Uri(_options.ApiBaseUrl.TrimEnd('/') + pathAndQuery)));
        using var response = await http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return await response.Content.ReadFromJsonAsync<T>(cancellationToken).ConfigureAwait(false)
            ?? throw new TwilioApiException((int)response.StatusCode, null, "empty answer", null);
    }

    private HttpRequestMessage Authorized(HttpRequestMessage message, string accept = "application/json")
    {
        message.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_options.AccountSid}:{_options.AuthToken}")));
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        return message;
    }

    private static MessageRecord ToRecord(MessageAnswer m) => new(
        m.Sid, m.To ?? "", m.From ?? "", m.Body ?? "", m.Status ?? "", m.Direction ?? "", ParseDate(m.DateCreated), ParseDate(m.DateSent), m.ErrorCode);

    private static CallRecord ToRecord(CallAnswer c) => new(
        c.Sid, string.IsNullOrEmpty(c.ParentCallSid) ? null : c.ParentCallSid, c.To ?? "", c.From ?? "", c.Status ?? "", c.Direction ?? "",
        string.IsNullOrEmpty(c.AnsweredBy) ? null : c.AnsweredBy,
        int.TryParse(c.Duration, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds : null,
        ParseDate(c.DateCreated), ParseDate(c.StartTime), ParseDate(c.EndTime));

    /// <summary>Twilio writes dates in RFC 2822 form: <c>Wed, 18 Nov 2026 17:00:03 +0000</c>.</summary>
    private static DateTimeOffset? ParseDate(string? value) =>
        DateTimeOffset.TryParseExact(value, "ddd, dd MMM yyyy HH:mm:ss zzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
            ? parsed
            : null;

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

    private sealed record MessagePage(
        [property: JsonPropertyName("messages")] IReadOnlyList<MessageAnswer>? Messages,
        [property: JsonPropertyName("next_page_uri")] string? NextPageUri);

    private sealed record MessageAnswer(
        [property: JsonPropertyName("sid")] string Sid,
        [property: JsonPropertyName("to")] string? To,
        [property: JsonPropertyName("from")] string? From,
        [property: JsonPropertyName("body")] string? Body,
        [property: JsonPropertyName("status")] string? Status,
        [property: JsonPropertyName("direction")] string? Direction,
        [property: JsonPropertyName("date_created")] string? DateCreated,
        [property: JsonPropertyName("date_sent")] string? DateSent,
        [property: JsonPropertyName("error_code")] int? ErrorCode);

    private sealed record CallPage(
        [property: JsonPropertyName("calls")] IReadOnlyList<CallAnswer>? Calls,
        [property: JsonPropertyName("next_page_uri")] string? NextPageUri);

    // Note: Twilio sends duration as a string ("15"), or null while the call is live.
    private sealed record CallAnswer(
        [property: JsonPropertyName("sid")] string Sid,
        [property: JsonPropertyName("parent_call_sid")] string? ParentCallSid,
        [property: JsonPropertyName("to")] string? To,
        [property: JsonPropertyName("from")] string? From,
        [property: JsonPropertyName("status")] string? Status,
        [property: JsonPropertyName("direction")] string? Direction,
        [property: JsonPropertyName("answered_by")] string? AnsweredBy,
        [property: JsonPropertyName("duration")] string? Duration,
        [property: JsonPropertyName("date_created")] string? DateCreated,
        [property: JsonPropertyName("start_time")] string? StartTime,
        [property: JsonPropertyName("end_time")] string? EndTime);

    private sealed record ResourceAnswer(
        [property: JsonPropertyName("sid")] string Sid,
        [property: JsonPropertyName("status")] string Status);

    private sealed record ErrorAnswer(
        [property: JsonPropertyName("code")] int? Code,
        [property: JsonPropertyName("message")] string? Message,
        [property: JsonPropertyName("more_info")] string? MoreInfo);
}
