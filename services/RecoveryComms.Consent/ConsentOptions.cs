using System.ComponentModel.DataAnnotations;
using RecoveryComms.Hosting;

namespace RecoveryComms.Consent;

/// <summary>The <c>Consent</c> section.</summary>
public sealed class ConsentOptions
{
    public const string Section = "Consent";

    /// <summary>Region for numbers without a country code.</summary>
    [Required]
    public string DefaultRegion { get; set; } = "US";

    /// <summary>
    /// Whether the one-to-one recovery text after a customer's own call may rely on the consent that call implies.
    /// Off by default: whether a missed inbound call is enough is a question for the shop's counsel
    /// (shared/docs/twilio-facts.md §7). Off, a text needs express consent.
    /// </summary>
    public bool ImpliedConsentAllowsRecoveryText { get; set; }

    /// <summary>The one confirmation text after an opt-out: no marketing content.</summary>
    [Required]
    public string OptOutConfirmation { get; set; } = "You are unsubscribed and will get no more texts from us. Reply START to resubscribe.";

    /// <summary>
    /// The secret that signs the ledger's checkpoints (HMAC-SHA256), at least 32 characters. Kept in configuration,
    /// never in the database. Required outside Development; Development falls back to a public development key.
    /// </summary>
    public string? CheckpointKey { get; set; }

    /// <summary>How often the head is signed when it moved (default an hour). <c>POST /api/consent/checkpoints</c> signs at once.</summary>
    [TimeSpanRange("00:00:00.100", "7.00:00:00")]
    public TimeSpan CheckpointEvery { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>The contract's <c>Messaging</c> section.</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>True only once the texting number or campaign is A2P 10DLC registered; SMS is refused otherwise.</summary>
    public bool A2PRegistered { get; set; }

    public string? MessagingServiceSid { get; set; }

    public string? From { get; set; }
}
