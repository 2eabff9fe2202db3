using System.ComponentModel.DataAnnotations;
using RecoveryComms.Hosting;

namespace RecoveryComms.Consent.Sending;

/// <summary>The <c>Consent:SmsSending</c> section: how long a text may wait at Twilio, and how unknown outcomes are settled.</summary>
public sealed class SmsSendingOptions : IValidatableObject
{
    public const string Section = "Consent:SmsSending";

    /// <summary>
    /// Twilio's <c>ValidityPeriod</c> for every text: a text still queued at Twilio after this long is dropped
    /// unsent. It bounds how long an unknown outcome can stay open, and a recovery text hours late helps nobody.
    /// </summary>
    [TimeSpanRange("00:00:05", "10:00:00")]
    public TimeSpan ValidityPeriod { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>When an <c>unknown</c> send is first looked up at Twilio (its list can lag a moment behind a create).</summary>
    [TimeSpanRange("00:00:00", "01:00:00")]
    public TimeSpan FirstCheckAfter { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long to wait between two look-ups of a send Twilio does not list yet.</summary>
    [TimeSpanRange("00:00:01", "01:00:00")]
    public TimeSpan CheckEvery { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long after its claim a send that Twilio still does not list is settled as <c>failed</c>. Longer than
    /// <see cref="ValidityPeriod"/>, so Twilio has either sent the text or dropped it by then.
    /// </summary>
    [TimeSpanRange("00:00:10", "1.00:00:00")]
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// A claim still <c>sending</c> this long after it was taken, with no attempt holding it, is an attempt that died
    /// (crash, lost database connection, failed commit): the reconciler settles it like an <c>unknown</c>.
    /// </summary>
    [TimeSpanRange("00:00:01", "01:00:00")]
    public TimeSpan StaleClaimAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the reconciler looks for sends that are due (infrastructure time, not business time).</summary>
    [TimeSpanRange("00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (GiveUpAfter <= ValidityPeriod)
        {
            yield return new ValidationResult(
                $"{nameof(GiveUpAfter)} ({GiveUpAfter}) must be longer than {nameof(ValidityPeriod)} ({ValidityPeriod}): until then Twilio may still send the text.",
                [nameof(GiveUpAfter)]);
        }
    }
}
