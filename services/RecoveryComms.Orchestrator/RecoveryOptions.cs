using System.ComponentModel.DataAnnotations;
using RecoveryComms.Hosting;

namespace RecoveryComms.Orchestrator;

/// <summary>The recovery loop's clocks and switches: the <c>Recovery</c> section (names fixed by the contract).</summary>
public sealed class RecoveryOptions : IValidatableObject
{
    public const string Section = "Recovery";

    /// <summary>Nobody has claimed or called by then → the backup owner is alerted and takes the item.</summary>
    public TimeSpan FirstAttemptTarget { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>No attempt by then → the item is escalated to the manager.</summary>
    public TimeSpan Sla { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Shop-local <c>HH:mm</c> by which items that came in after hours must have a first attempt.</summary>
    [Required]
    public string AfterHoursFirstAttemptBy { get; set; } = "08:30";

    /// <summary>Send the loop's one SMS by itself when attempt 1 is not answered.</summary>
    public bool AutoSmsAfterFirstAttempt { get; set; }

    /// <summary>Also text the backup owner or manager, on their own phone, when a trigger fires.</summary>
    public bool AlertStaffBySms { get; set; }

    /// <summary>Record bridged callbacks for the manager's review (a recording notice is played to the customer first).</summary>
    public bool RecordCallbacks { get; set; }

    /// <summary>How long before a promised callback is due the backup checks it.</summary>
    public TimeSpan PromisedCheckBefore { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The shop's name as customers know it (the SMS starts with it).</summary>
    [Required, StringLength(40, MinimumLength = 2)]
    public string ShopName { get; set; } = "Our shop";

    /// <summary>
    /// The loop's SMS. <c>{shop}</c>, <c>{windowA}</c>, <c>{windowB}</c> and <c>{issue}</c> are filled in; it must
    /// end with the opt-out instruction and fit one segment once filled.
    /// </summary>
    [Required]
    public string SmsTemplate { get; set; } = "{shop}: sorry we missed your call{issue}. We can call you back {windowA} or {windowB}. Reply with a time. Reply STOP to opt out.";

    /// <summary>The times of day when follow-ups are worked; the automatic SMS offers the next two.</summary>
    public List<string> CallbackBlocks { get; set; } = ["10:00", "14:00"];

    /// <summary>
    /// How long after a click-to-call starts the orchestrator asks Twilio about it when it has not settled (and then
    /// again every as long while it stays live): a crash, a lost create answer or lost status reports can otherwise
    /// leave it "Calling…" forever. The default is the 20 s ring timeout, Twilio's 5 s ring buffer, the 15 s Twilio
    /// request timeout and a margin for Twilio's call list to show the call.
    /// </summary>
    [TimeSpanRange("00:00:05", "01:00:00")]
    public TimeSpan AttemptSettleAfter { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>
    /// Twilio's <c>ValidityPeriod</c> for a staff alert's SMS: still queued at Twilio after this long, it is dropped
    /// unsent. It bounds how long the reconciler must wait before it may send again a text Twilio does not list.
    /// </summary>
    [TimeSpanRange("00:00:05", "01:00:00")]
    public TimeSpan StaffAlertSmsValidity { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a staff alert's claimed SMS may go without an outcome before the reconciler settles it from Twilio's
    /// message list, sending it again only when Twilio lists nothing. Longer than <see cref="StaffAlertSmsValidity"/>.
    /// </summary>
    [TimeSpanRange("00:00:10", "01:00:00")]
    public TimeSpan StaffAlertSmsLease { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long the orchestrator waits for the consent service's answers.</summary>
    public TimeSpan ConsentTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (FirstAttemptTarget <= TimeSpan.Zero || Sla <= FirstAttemptTarget)
        {
            yield return new ValidationResult("Recovery:Sla must be longer than Recovery:FirstAttemptTarget, and both positive.", [nameof(Sla)]);
        }

        if (!Hosting.Business.ShopCalendar.TryParseTime(AfterHoursFirstAttemptBy, out _))
        {
            yield return new ValidationResult("Recovery:AfterHoursFirstAttemptBy must be HH:mm.", [nameof(AfterHoursFirstAttemptBy)]);
        }

        if (!SmsTemplate.Contains("STOP", StringComparison.Ordinal))
        {
            yield return new ValidationResult("Recovery:SmsTemplate must tell the customer to reply STOP to opt out.", [nameof(SmsTemplate)]);
        }

        if (StaffAlertSmsLease <= StaffAlertSmsValidity)
        {
            yield return new ValidationResult("Recovery:StaffAlertSmsLease must be longer than Recovery:StaffAlertSmsValidity: until then Twilio may still send the text.",
                [nameof(StaffAlertSmsLease)]);
        }

        if (CallbackBlocks.Any(block => !Hosting.Business.ShopCalendar.TryParseTime(block, out _)))
        {
            yield return new ValidationResult("Recovery:CallbackBlocks must be HH:mm times.", [nameof(CallbackBlocks)]);
        }
    }
}
