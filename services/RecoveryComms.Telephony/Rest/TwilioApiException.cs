namespace RecoveryComms.Telephony.Rest;

/// <summary>Twilio answered a REST request with an error (its JSON error body, mapped).</summary>
public sealed class TwilioApiException : Exception
{
    /// <summary>Error 21610: the recipient replied STOP; never retry.</summary>
    public const int UnsubscribedRecipient = 21610;

    /// <summary>Creates the exception from Twilio's error body.</summary>
    /// <param name="httpStatus">The HTTP status Twilio answered.</param>
    /// <param name="code">Twilio's error code, when the body had one.</param>
    /// <param name="message">Twilio's message.</param>
    /// <param name="moreInfo">The documentation link for the code.</param>
    public TwilioApiException(int httpStatus, int? code, string message, string? moreInfo)
        : base($"Twilio answered {httpStatus}{(code is null ? "" : $" (error {code})")}: {message}")
    {
        HttpStatus = httpStatus;
        Code = code;
        TwilioMessage = message;
        MoreInfo = moreInfo;
    }

    /// <summary>The HTTP status Twilio answered.</summary>
    public int HttpStatus { get; }

    /// <summary>Twilio's error code (e.g. 21610, 21211), when the body had one.</summary>
    public int? Code { get; }

    /// <summary>Twilio's own message.</summary>
    public string TwilioMessage { get; }

    /// <summary>The documentation link Twilio gave.</summary>
    public string? MoreInfo { get; }

    /// <summary>True when the recipient has opted out at the carrier (21610).</summary>
    public bool IsUnsubscribedRecipient => Code == UnsubscribedRecipient;
}
