namespace RecoveryComms.Telephony.Rest;

/// <summary>
/// A create request may have reached Twilio, but no usable answer came back: the connection failed or timed out
/// after the request was sent, Twilio answered 5xx, or its answer could not be read. Twilio may or may not have
/// created the message or call. Twilio has no idempotency key for these creates (shared/docs/twilio-facts.md
/// §4.5), so sending the request again can act twice: look the resource up instead (for a message,
/// <see cref="ITwilioRestClient.ListMessagesAsync"/>).
/// </summary>
public sealed class TwilioOutcomeUnknownException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="resource">The resource that was being created (<c>Messages.json</c>, <c>Calls.json</c>).</param>
    /// <param name="httpStatus">Twilio's 5xx status, or null when no status came back.</param>
    /// <param name="innerException">What went wrong.</param>
    public TwilioOutcomeUnknownException(string resource, int? httpStatus, Exception innerException)
        : base($"Creating {resource}: the outcome is unknown ({(httpStatus is null ? innerException?.GetType().Name : $"HTTP {httpStatus}")}); Twilio may have acted on it", innerException)
    {
        Resource = resource;
        HttpStatus = httpStatus;
    }

    /// <summary>The resource that was being created.</summary>
    public string Resource { get; }

    /// <summary>Twilio's 5xx status, or null when the connection failed, timed out or the answer was unreadable.</summary>
    public int? HttpStatus { get; }
}
