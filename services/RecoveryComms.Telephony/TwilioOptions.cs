using System.ComponentModel.DataAnnotations;

namespace RecoveryComms.Telephony;

/// <summary>The Twilio account and addresses, bound from the <c>Twilio</c> configuration section.</summary>
public sealed class TwilioOptions : IValidatableObject
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Twilio";

    /// <summary>The account SID (<c>AC…</c>); the path segment of every REST call.</summary>
    [Required]
    public string AccountSid { get; set; } = "";

    /// <summary>The account's auth token: the password for REST calls and the key of webhook signatures.</summary>
    [Required]
    public string AuthToken { get; set; } = "";

    /// <summary>Twilio's REST base URL; tests and the local sandbox point it elsewhere.</summary>
    [Required, Url]
    public string ApiBaseUrl { get; set; } = "https://api.twilio.com";

    /// <summary>
    /// The base URL Twilio uses to reach the webhooks service (what the shop typed into Twilio's console).
    /// Signatures are computed over this URL, not over whatever host and scheme the request arrived with,
    /// so validation keeps working behind proxies and tunnels.
    /// </summary>
    [Required, Url]
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>
    /// How long one REST request may take before it is abandoned. A create abandoned this way has an unknown
    /// outcome (<see cref="Rest.TwilioOutcomeUnknownException"/>); the SMS send gate holds a number's lock for at
    /// most this long.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The timeout's bounds, checked by hand: <c>[Range(typeof(TimeSpan), …)]</c> is not thread-safe on first use
    /// (dotnet/runtime#1143), and hosts validate their options in parallel.
    /// </summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RequestTimeout < TimeSpan.FromMilliseconds(100) || RequestTimeout > TimeSpan.FromMinutes(2))
        {
            yield return new ValidationResult("Twilio:RequestTimeout must be between 00:00:00.100 and 00:02:00.", [nameof(RequestTimeout)]);
        }
    }
}
