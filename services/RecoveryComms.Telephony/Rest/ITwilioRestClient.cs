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
    /// <exception cref="TwilioApiException">Twilio refused the request.</exception>
    Task<CallResource> CreateCallAsync(CreateCallRequest request, CancellationToken cancellationToken);

    /// <summary>Sends an SMS (<c>POST /Accounts/{sid}/Messages.json</c>).</summary>
    /// <param name="request">Recipient, sender and body.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="TwilioApiException">Twilio refused the request (21610: the recipient said STOP).</exception>
    Task<MessageResource> CreateMessageAsync(CreateMessageRequest request, CancellationToken cancellationToken);
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
public sealed record CreateMessageRequest(string To, string Body, string? From = null, string? MessagingServiceSid = null, Uri? StatusCallback = null);

/// <summary>The call Twilio created.</summary>
/// <param name="Sid">The call SID (<c>CA…</c>).</param>
/// <param name="Status">Its status, <c>queued</c> at first.</param>
public sealed record CallResource(string Sid, string Status);

/// <summary>The message Twilio accepted.</summary>
/// <param name="Sid">The message SID (<c>SM…</c>).</param>
/// <param name="Status">Its status, <c>queued</c> or <c>accepted</c> at first.</param>
public sealed record MessageResource(string Sid, string Status);
