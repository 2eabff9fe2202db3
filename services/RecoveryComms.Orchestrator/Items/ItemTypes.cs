namespace RecoveryComms.Orchestrator.Items;

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
