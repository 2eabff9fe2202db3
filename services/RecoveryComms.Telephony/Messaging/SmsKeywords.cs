using System.Text.RegularExpressions;

namespace RecoveryComms.Telephony.Messaging;

/// <summary>What an inbound text asks for, as far as consent is concerned.</summary>
public enum SmsIntent
{
    /// <summary>Not a keyword: a reply for the CSR.</summary>
    Reply,

    /// <summary>An opt-out keyword (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT).</summary>
    OptOut,

    /// <summary>Not a keyword, but plainly asks to stop ("stop texting me"): honoured as an opt-out and flagged for review.</summary>
    OptOutNeedsReview,

    /// <summary>START or UNSTOP (or YES while opted out).</summary>
    OptIn,

    /// <summary>HELP or INFO.</summary>
    Help,
}

/// <summary>
/// Classifies inbound texts by the carrier keywords Twilio and the CTIA use (shared/docs/twilio-facts.md §3.4)
/// and the FCC's "any reasonable means" of revoking consent (§6).
/// </summary>
public static partial class SmsKeywords
{
    private static readonly HashSet<string> OptOut = new(StringComparer.OrdinalIgnoreCase)
        { "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT-OUT", "OPT OUT" };

    private static readonly HashSet<string> OptIn = new(StringComparer.OrdinalIgnoreCase) { "START", "UNSTOP" };

    private static readonly HashSet<string> Help = new(StringComparer.OrdinalIgnoreCase) { "HELP", "INFO" };

    /// <summary>Classifies a message.</summary>
    /// <param name="body">The text as received.</param>
    /// <param name="optOutType">Twilio's <c>OptOutType</c> (STOP, START, HELP) when Advanced Opt-Out matched, else null.</param>
    /// <param name="currentlyOptedOut">Whether the sender is opted out now: YES opts back in only then.</param>
    public static SmsIntent Classify(string? body, string? optOutType, bool currentlyOptedOut)
    {
        switch (optOutType?.Trim().ToUpperInvariant())
        {
            case "STOP":
                return SmsIntent.OptOut;
            case "START":
                return SmsIntent.OptIn;
            case "HELP":
                return SmsIntent.Help;
        }

        // Note: the whole message, trimmed of white space and of punctuation around it ("Stop." "STOP!!"),
        // must be the keyword; "Stop by at 3?" is a reply.
        var word = Trim(body ?? "");
        if (OptOut.Contains(word))
        {
            return SmsIntent.OptOut;
        }

        if (OptIn.Contains(word) || (currentlyOptedOut && word.Equals("YES", StringComparison.OrdinalIgnoreCase)))
        {
            return SmsIntent.OptIn;
        }

        if (Help.Contains(word))
        {
            return SmsIntent.Help;
        }

        return PlainStopRequest().IsMatch(body ?? "") ? SmsIntent.OptOutNeedsReview : SmsIntent.Reply;
    }

    private static string Trim(string body) =>
        body.Trim().Trim(['.', '!', '?', ',', ';', ':', '"', '\'', '(', ')', '*', '-', ' ', '\t', '\r', '\n']).Trim();

    [GeneratedRegex(
        @"\b(stop|quit|cease|end)\s+(texting|txting|messaging|sending|contacting|calling|the\s+texts|these\s+texts)\b|\b(don'?t|do\s+not|dont|never)\s+(text|txt|message|contact|call)\b|\b(remove|take)\s+me\s+(off|from)\b|\bno\s+more\s+(texts|messages|calls)\b|\bunsubscribe\b|\bopt\s*-?\s*out\b|\bleave\s+me\s+alone\b|\bwrong\s+number\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PlainStopRequest();
}
