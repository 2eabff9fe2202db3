namespace RecoveryComms.Orchestrator.Items;

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
