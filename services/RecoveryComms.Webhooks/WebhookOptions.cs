using System.ComponentModel.DataAnnotations;
using RecoveryComms.Hosting;

namespace RecoveryComms.Webhooks;

/// <summary>How the shop's phones ring and what callers hear; the <c>Webhooks</c> section.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>
    /// The numbers rung at once during business hours (office phones, on-call technicians' cells). The default:
    /// once a manager saves the shop settings in the console, the saved ring group is rung instead.
    /// </summary>
    public List<string> RingGroup { get; set; } = [];

    [Range(5, 600)]
    public int RingTimeoutSeconds { get; set; } = 20;

    /// <summary>
    /// Ask whoever picks up a ring-group leg to press a key before the caller is connected, so a technician's
    /// cell voicemail answering the forwarded call does not count as answered.
    /// </summary>
    public bool ScreenCalls { get; set; } = true;

    /// <summary>Abandoned calls shorter than this are flagged as short abandons (still queued).</summary>
    [Range(0, 120)]
    public int ShortAbandonSeconds { get; set; } = 5;

    /// <summary>Staff and technician numbers: their calls are recorded but flagged internal, not missed.</summary>
    public List<string> StaffNumbers { get; set; } = [];

    [Required]
    public string ShopName { get; set; } = "the shop";

    [Required]
    public string AfterHoursGreeting { get; set; } = "Thanks for calling. We are closed right now. Please leave your name, number and what you need after the tone, and we will call you back first thing.";

    [Required]
    public string VoicemailPrompt { get; set; } = "Sorry we missed you. Please leave your name, number and what you need after the tone, and we will call you right back.";

    [Required]
    public string ScreenPrompt { get; set; } = "Customer call. Press any key to accept.";

    /// <summary>Said to the customer before a recorded click-to-call is bridged (when the orchestrator asks for recording).</summary>
    [Required]
    public string RecordingNotice { get; set; } = "This call may be recorded for quality.";

    [Range(10, 600)]
    public int VoicemailMaxSeconds { get; set; } = 120;

    [Required]
    public string HelpText { get; set; } = "Reply STOP to opt out. For help call us back at this number.";

    /// <summary>The one confirmation after an opt-out text: no marketing content.</summary>
    [Required]
    public string OptOutConfirmation { get; set; } = "You are unsubscribed and will get no more texts from us. Reply START to resubscribe.";

    /// <summary>
    /// The local file a voice webhook goes to when neither PostgreSQL nor RabbitMQ takes it (replayed when one is
    /// back). Relative to the content root; by default <c>data/webhook-journal.jsonl</c>. One path per replica,
    /// on a disk that survives a restart.
    /// </summary>
    public string? JournalPath { get; set; }

    /// <summary>How long a voice route waits for PostgreSQL before it spools the webhook instead (the caller waits meanwhile).</summary>
    [TimeSpanRange("00:00:00.050", "00:00:05")]
    public TimeSpan VoiceStoreTimeout { get; set; } = TimeSpan.FromMilliseconds(600);

    /// <summary>How long a voice route waits for the spool's confirm before it journals the webhook instead.</summary>
    [TimeSpanRange("00:00:00.050", "00:00:05")]
    public TimeSpan VoiceSpoolTimeout { get; set; } = TimeSpan.FromMilliseconds(300);
}
