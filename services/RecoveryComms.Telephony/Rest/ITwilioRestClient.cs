namespace RecoveryComms.Telephony.Rest;

/// <summary>
/// The part of Twilio's REST API the system uses. This is the one seam where the official SDK can replace
/// our hand-written client on a host where it is available.
/// </summary>
public interface ITwilioRestClient
{
    /// <summary>Places an outbound call (<c>POST /Accounts/{sid}/Calls.json</c>).</summary>
    /// <param name="request">What to call and which TwiML to run when it answers.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="TwilioApiException">Twilio refused the request (4xx): no call was placed.</exception>
    /// <exception cref="TwilioOutcomeUnknownException">The request may have reached Twilio but no answer came back
    /// (network error, timeout, 5xx): the call may or may not have been placed. Only a 429 is retried.</exception>
    Task<CallResource> CreateCallAsync(CreateCallRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Sends an SMS (<c>POST /Accounts/{sid}/Messages.json</c>), once: a message create is never retried, not even
    /// after a 429, because a lost answer would make a retry a second text.
    /// </summary>
    /// <param name="request">Recipient, sender and body.</param>
    /// <param name="cancellationToken">Cancels the request. Cancelling after the request has left can leave a message
    /// that was sent with nobody knowing its SID.</param>
    /// <exception cref="TwilioApiException">Twilio refused the request (4xx; 21610: the recipient said STOP): no message
    /// was created.</exception>
    /// <exception cref="TwilioOutcomeUnknownException">The request may have reached Twilio but no answer came back
    /// (network error, timeout, 5xx, unreadable answer): find out with <see cref="ListMessagesAsync"/>, never by
    /// sending again.</exception>
    Task<MessageResource> CreateMessageAsync(CreateMessageRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Lists the account's messages to one number sent on or after a day
    /// (<c>GET /Accounts/{sid}/Messages.json?To=…&amp;DateSent&gt;=YYYY-MM-DD</c>), newest first, following Twilio's
    /// pages up to <see cref="ListMessagesRequest.MaxResults"/>. This is how a create whose outcome is unknown is
    /// settled. Retried on 429, 5xx and network errors (a read is safe to repeat).
    /// </summary>
    /// <param name="request">The recipient, the first day (UTC) and how many messages at most.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The messages Twilio lists, as it lists them.</returns>
    /// <exception cref="TwilioApiException">Twilio answered with an error.</exception>
    /// <remarks>
    /// Twilio filters by <c>date_sent</c> at day granularity (GMT), so callers compare times themselves; a message
    /// still queued has no <c>date_sent</c> yet and may be missing from the list until it leaves the queue.
    /// </remarks>
    Task<IReadOnlyList<MessageRecord>> ListMessagesAsync(ListMessagesRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Fetches one call (<c>GET /Accounts/{sid}/Calls/{CallSid}.json</c>): its status now, its times and, for a
    /// child leg, its parent. This is how an attempt whose status reports never came is settled. Retried on 429,
    /// 5xx and network errors (a read is safe to repeat).
    /// </summary>
    /// <param name="callSid">The call (<c>CA</c> and 32 hex digits; see <see cref="TwilioSids.IsCall"/>).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The call, or null when Twilio has no such call (404).</returns>
    /// <exception cref="ArgumentException">The SID is not a call SID.</exception>
    /// <exception cref="TwilioApiException">Twilio answered with another error.</exception>
    Task<CallRecord?> GetCallAsync(string callSid, CancellationToken cancellationToken);

    /// <summary>
    /// Lists the account's calls (<c>GET /Accounts/{sid}/Calls.json?To=…&amp;From=…&amp;ParentCallSid=…&amp;StartTime&gt;=YYYY-MM-DD</c>),
    /// newest first, following Twilio's pages up to <see cref="ListCallsRequest.MaxResults"/>. This is how a call
    /// create whose answer was lost is found: by the CSR's number, the shop line and the day. Retried on 429, 5xx
    /// and network errors (a read is safe to repeat).
    /// </summary>
    /// <param name="request">The filters (each optional) and how many calls at most.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The calls Twilio lists, as it lists them.</returns>
    /// <exception cref="TwilioApiException">Twilio answered with an error.</exception>
    /// <remarks>
    /// Twilio filters <c>StartTime</c> at day granularity (GMT), so callers compare times themselves; a call still
    /// queued has no <c>start_time</c> yet and may be missing from a list filtered by it.
    /// </remarks>
    Task<IReadOnlyList<CallRecord>> ListCallsAsync(ListCallsRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a recording's audio as MP3 (<c>GET /Accounts/{sid}/Recordings/{RecordingSid}.mp3</c>), streamed: the
    /// answer returns once Twilio's headers have arrived and the caller reads the body as it comes. The URL is built
    /// from the SID alone, never from a stored recording URL, so nothing stored can point the request elsewhere.
    /// Retried on 429, 5xx, network errors and timeouts before the headers (a read is safe to repeat).
    /// </summary>
    /// <param name="recordingSid">The recording (<c>RE</c> and 32 lowercase hex digits; see <see cref="TwilioSids.IsRecording"/>).</param>
    /// <param name="cancellationToken">Cancels the request (not the reading of the body).</param>
    /// <returns>The audio, which the caller disposes; null when Twilio has no such recording (404).</returns>
    /// <exception cref="ArgumentException">The SID is not a recording SID.</exception>
    /// <exception cref="TwilioApiException">Twilio answered with another error (after the retries, for 429 and 5xx).</exception>
    /// <exception cref="HttpRequestException">Twilio could not be reached.</exception>
    /// <exception cref="Polly.Timeout.TimeoutRejectedException">Twilio did not answer within the request timeout.</exception>
    Task<RecordingAudio?> OpenRecordingAsync(string recordingSid, CancellationToken cancellationToken);
}

/// <summary>Shapes of Twilio SIDs.</summary>
public static partial class TwilioSids
{
    /// <summary>True when <paramref name="sid"/> is a recording SID: <c>RE</c> and 32 lowercase hex digits.</summary>
    /// <param name="sid">The candidate.</param>
    public static bool IsRecording(string? sid) => sid is not null && RecordingSid().IsMatch(sid);

    /// <summary>True when <paramref name="sid"/> is a call SID: <c>CA</c> and 32 hex digits.</summary>
    /// <param name="sid">The candidate.</param>
    public static bool IsCall(string? sid) => sid is not null && CallSid().IsMatch(sid);

    [System.Text.RegularExpressions.GeneratedRegex("^CA[0-9a-fA-F]{32}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex CallSid();

    [System.Text.RegularExpressions.GeneratedRegex("^RE[0-9a-f]{32}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex RecordingSid();
}

/// <summary>A recording's audio as Twilio streams it. Disposing it releases the connection.</summary>
/// <param name="content">The body, read as it arrives.</param>
/// <param name="contentType">Twilio's content type (<c>audio/mpeg</c>).</param>
/// <param name="length">The length in bytes, when Twilio gave one.</param>
/// <param name="owner">The answer the body belongs to, disposed with it.</param>
public sealed class RecordingAudio(Stream content, string contentType, long? length, IDisposable owner) : IDisposable
{
    /// <summary>The audio, read as it arrives.</summary>
    public Stream Content { get; } = content;

    /// <summary>The content type Twilio gave (<c>audio/mpeg</c> when it gave none).</summary>
    public string ContentType { get; } = contentType;

    /// <summary>The length in bytes, when Twilio gave one.</summary>
    public long? Length { get; } = length;

    /// <inheritdoc />
    public void Dispose()
    {
        Content.Dispose();
        owner.Dispose();
    }
}

/// <summary>A call to place.</summary>
/// <param name="To">The number to ring, E.164.</param>
/// <param name="From">The shop line it comes from, E.164.</param>
/// <param name="Url">The TwiML URL Twilio fetches when the call answers.</param>
/// <param name="StatusCallback">Where Twilio posts the call's progress, or null.</param>
/// <param name="TimeoutSeconds">How long to ring (Twilio's default is 60).</param>
public sealed record CreateCallRequest(string To, string From, Uri Url, Uri? StatusCallback = null, int? TimeoutSeconds = null);

/// <summary>An SMS to send. Exactly one of <paramref name="From"/> and <paramref name="MessagingServiceSid"/> is set.</summary>
/// <param name="To">The recipient, E.164.</param>
/// <param name="Body">The text, at most 1600 characters.</param>
/// <param name="From">The sending number, or null when a Messaging Service picks it.</param>
/// <param name="MessagingServiceSid">The Messaging Service (<c>MG…</c>), or null.</param>
/// <param name="StatusCallback">Where Twilio posts delivery status, or null.</param>
/// <param name="ValidityPeriod">How long the message may wait in Twilio's queue before Twilio drops it unsent
/// (<c>ValidityPeriod</c>, whole seconds, 1–36000; Twilio's default is 36000), or null for the default.</param>
public sealed record CreateMessageRequest(
    string To, string Body, string? From = null, string? MessagingServiceSid = null, Uri? StatusCallback = null, TimeSpan? ValidityPeriod = null);

/// <summary>Which messages to list.</summary>
/// <param name="To">The recipient, E.164.</param>
/// <param name="SentOnOrAfter">The first day (GMT) of <c>date_sent</c> to list (<c>DateSent&gt;=</c>).</param>
/// <param name="MaxResults">Stop after this many messages (Twilio lists newest first).</param>
public sealed record ListMessagesRequest(string To, DateOnly SentOnOrAfter, int MaxResults = 200);

/// <summary>A message as Twilio lists it.</summary>
/// <param name="Sid">The message SID (<c>SM…</c> or <c>MM…</c>).</param>
/// <param name="To">The recipient.</param>
/// <param name="From">The sender (for a Messaging Service send, the number Twilio picked).</param>
/// <param name="Body">The text.</param>
/// <param name="Status">Its status now (<c>queued</c>, <c>sent</c>, <c>delivered</c>, <c>failed</c>, …).</param>
/// <param name="Direction"><c>outbound-api</c> for a message created through the REST API.</param>
/// <param name="DateCreated">When Twilio created it.</param>
/// <param name="DateSent">When Twilio sent it, or null while it is queued.</param>
/// <param name="ErrorCode">Twilio's error code when it failed, else null.</param>
public sealed record MessageRecord(
    string Sid, string To, string From, string Body, string Status, string Direction, DateTimeOffset? DateCreated, DateTimeOffset? DateSent, int? ErrorCode);

/// <summary>Which calls to list; every filter is optional.</summary>
/// <param name="To">Only calls to this number, E.164 (<c>To</c>).</param>
/// <param name="From">Only calls from this number, E.164 (<c>From</c>).</param>
/// <param name="StartedOnOrAfter">Only calls that started on or after this day, GMT (<c>StartTime&gt;=</c>).</param>
/// <param name="ParentCallSid">Only the legs this call created (<c>ParentCallSid</c>).</param>
/// <param name="MaxResults">Stop after this many calls (Twilio lists newest first).</param>
public sealed record ListCallsRequest(string? To = null, string? From = null, DateOnly? StartedOnOrAfter = null, string? ParentCallSid = null, int MaxResults = 50);

/// <summary>A call as Twilio fetches or lists it.</summary>
/// <param name="Sid">The call SID (<c>CA…</c>).</param>
/// <param name="ParentCallSid">The call that created this leg (a <c>&lt;Dial&gt;</c>'s parent), else null.</param>
/// <param name="To">The number called.</param>
/// <param name="From">The number it came from.</param>
/// <param name="Status">Its status now: <c>queued</c>, <c>ringing</c>, <c>in-progress</c>, <c>canceled</c>,
/// <c>completed</c>, <c>failed</c>, <c>busy</c> or <c>no-answer</c>.</param>
/// <param name="Direction"><c>outbound-api</c> for a call created through the REST API, <c>outbound-dial</c> for a <c>&lt;Dial&gt;</c> leg.</param>
/// <param name="AnsweredBy">Machine detection's answer, when it was enabled.</param>
/// <param name="DurationSeconds">How long it lasted, once it ended.</param>
/// <param name="DateCreated">When Twilio created it.</param>
/// <param name="StartTime">When it started ringing, or null while queued.</param>
/// <param name="EndTime">When it ended, or null while live.</param>
public sealed record CallRecord(
    string Sid, string? ParentCallSid, string To, string From, string Status, string Direction, string? AnsweredBy, int? DurationSeconds,
    DateTimeOffset? DateCreated, DateTimeOffset? StartTime, DateTimeOffset? EndTime)
{
    /// <summary>True once the call has ended: Twilio reports nothing more about it.</summary>
    public bool Ended => Status is "completed" or "canceled" or "failed" or "busy" or "no-answer";
}

/// <summary>The call Twilio created.</summary>
/// <param name="Sid">The call SID (<c>CA…</c>).</param>
/// <param name="Status">Its status, <c>queued</c> at first.</param>
public sealed record CallResource(string Sid, string Status);

/// <summary>The message Twilio accepted.</summary>
/// <param name="Sid">The message SID (<c>SM…</c>).</param>
/// <param name="Status">Its status, <c>queued</c> or <c>accepted</c> at first.</param>
public sealed record MessageResource(string Sid, string Status);
