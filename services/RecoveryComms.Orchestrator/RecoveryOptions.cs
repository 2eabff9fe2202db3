using System.ComponentModel.DataAnnotations;

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

        if (CallbackBlocks.Any(block => !Hosting.Business.ShopCalendar.TryParseTime(block, out _)))
        {
            yield return new ValidationResult("Recovery:CallbackBlocks must be HH:mm times.", [nameof(CallbackBlocks)]);
        }
    }
}
