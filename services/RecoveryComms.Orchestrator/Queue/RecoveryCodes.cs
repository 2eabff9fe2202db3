namespace RecoveryComms.Orchestrator.Queue;

/// <summary>Item types of the contract, with their band in the queue.</summary>
public static class ItemTypes
{
    public const string MissedCall = "missed-call";
    public const string Abandoned = "abandoned";
    public const string Voicemail = "voicemail";
    public const string Emergency = "emergency";
    public const string PromisedUpdate = "promised-update";
    public const string Warranty = "warranty";
    public const string PostJob = "post-job";
    public const string Estimate = "estimate";
    public const string AfterHoursRequest = "after-hours-request";

    /// <summary>Types a CRM, answering service or CSR creates through <c>POST /api/callbacks</c>.</summary>
    public static readonly IReadOnlySet<string> Callbacks = new HashSet<string>(StringComparer.Ordinal)
        { Emergency, PromisedUpdate, Warranty, PostJob, Estimate, AfterHoursRequest };

    /// <summary>Types that come from a call; one customer has at most one of these open.</summary>
    public static readonly IReadOnlySet<string> Calls = new HashSet<string>(StringComparer.Ordinal) { MissedCall, Abandoned, Voicemail };

    /// <summary>
    /// The shop's queue order: emergencies, today's calls (after-hours requests are worked with them by morning
    /// dispatch), promised callbacks by deadline, warranty, post-job, estimates. Oldest first within a band.
    /// </summary>
    public static short Priority(string type) => type switch
    {
        Emergency => 0,
        MissedCall or Abandoned or Voicemail or AfterHoursRequest => 1,
        PromisedUpdate => 2,
        Warranty => 3,
        PostJob => 4,
        _ => 5,
    };
}

public static class ItemStatuses
{
    public const string NeedsCallback = "needs-callback";
    public const string InProgress = "in-progress";
    public const string LeftMessage = "left-message";
    public const string WaitingOnCustomer = "waiting-on-customer";
    public const string Completed = "completed";
    public const string Escalated = "escalated";
    public const string Limbo = "limbo";
}

/// <summary>Outcome codes of a disposition, with the labels the console shows.</summary>
public static class Outcomes
{
    public const string BookedJob = "booked-job";
    public const string BookedEstimate = "booked-estimate";
    public const string RescheduleRequested = "reschedule-requested";
    public const string NoAnswerTwoAttempts = "no-answer-two-attempts";
    public const string LeftVoicemail = "left-voicemail";
    public const string WrongNumber = "wrong-number";
    public const string DoNotContact = "do-not-contact";

    /// <summary>Added to the contract: the customer chose another company ("booked elsewhere").</summary>
    public const string BookedElsewhere = "booked-elsewhere";

    /// <summary>Added to the contract: set by the system when the customer texts STOP; ends the loop at once.</summary>
    public const string OptedOut = "opted-out";

    public static readonly IReadOnlyList<(string Code, string Label)> All =
    [
        (BookedJob, "Booked a job"),
        (BookedEstimate, "Booked an estimate"),
        (RescheduleRequested, "Asked for a call at another time"),
        (NoAnswerTwoAttempts, "No answer after two attempts"),
        (LeftVoicemail, "Left a voicemail"),
        (WrongNumber, "Wrong number"),
        (DoNotContact, "Do not contact"),
        (BookedElsewhere, "Booked elsewhere"),
        (OptedOut, "Opted out by text (STOP)"),
    ];

    /// <summary>Outcomes that count as a recovered customer in the scorecard.</summary>
    public static readonly IReadOnlySet<string> Bookings = new HashSet<string>(StringComparer.Ordinal) { BookedJob, BookedEstimate };

    public static bool IsKnown(string? code) => All.Any(o => o.Code == code);
}

/// <summary>Timeline entry kinds (the <c>kind</c> of <c>GET /api/recoveries/{id}</c> timeline rows).</summary>
public static class TimelineKinds
{
    public const string Created = "created";
    public const string Merged = "merged";
    public const string Transcribed = "transcribed";
    public const string Claimed = "claimed";
    public const string Reassigned = "reassigned";
    public const string AttemptPlaced = "attempt-placed";
    public const string AttemptResult = "attempt-result";
    public const string VoicemailLeft = "voicemail-left";
    public const string Recorded = "recorded";
    public const string SmsRequested = "sms-requested";
    public const string SmsResult = "sms-result";
    public const string SmsDelivery = "sms-delivery";
    public const string CustomerReplied = "customer-replied";
    public const string OptedOut = "opted-out";
    public const string BackupTriggered = "backup-triggered";
    public const string Escalated = "escalated";
    public const string ClockStarted = "clock-started";
    public const string PromisedCheck = "promised-check";
    public const string EndOfDay = "end-of-day";
    public const string EndOfDayUnassigned = "end-of-day-unassigned";
    public const string Limbo = "limbo";
    public const string LimboCheck = "limbo-check";
    public const string Disposed = "disposed";
    public const string Alert = "alert";
}
