using System.Text.RegularExpressions;

namespace RecoveryComms.Orchestrator.Items;

/// <summary>What made an item an emergency: the phrase (or key) that matched, and where it was found.</summary>
/// <param name="Matched">The manager's phrase as written in the settings (<c>active leak</c>), or the key pressed.</param>
/// <param name="Source">One of <see cref="EmergencySources"/>.</param>
public sealed record EmergencyMatch(string Matched, string Source);

/// <summary>Where an emergency was recognised (the contract's <c>emergency.source</c>).</summary>
public static class EmergencySources
{
    public const string Transcript = "transcript";
    public const string Sms = "sms";
    public const string Note = "note";
    public const string Keypress = "keypress";
    public const string AnsweringService = "answering-service";

    /// <summary>How the timeline names the source.</summary>
    public static string Label(string source) => source switch
    {
        Transcript => "voicemail",
        Sms => "customer's text",
        Note => "callback note",
        Keypress => "caller's key press",
        AnsweringService => "answering service's summary",
        _ => source,
    };
}

/// <summary>
/// The shop's emergency phrases (settings), matched as whole words in any case, in order, with at most two other
/// words between two of a phrase's words: "water pouring" matches "Water is POURING through the ceiling" and "burst
/// pipe" matches "a burst water pipe", but neither matches inside a longer word ("burst pipes", "no heater"). A
/// false alarm costs a CSR a quick call; a missed emergency costs the job, so the match leans to catching. The first
/// phrase of the list that matches wins, so a manager orders the list by what matters most.
/// </summary>
public static class EmergencyRules
{
    /// <summary>What a shop would expect out of the box (docs/orchestrator.md, "Emergencies").</summary>
    public static readonly IReadOnlyList<string> DefaultPhrases =
        ["active leak", "water pouring", "burst pipe", "flooding", "sewage backup", "no heat", "gas smell", "sparking", "smoke", "no power"];

    public const int MaxPhrases = 50;

    public const int MaxPhraseLength = 60;

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>The first of <paramref name="phrases"/> found in <paramref name="text"/> as whole words; null when none is.</summary>
    public static string? FirstMatch(string? text, IReadOnlyList<string> phrases)
    {
        ArgumentNullException.ThrowIfNull(phrases);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        foreach (var phrase in phrases)
        {
            if (Pattern(phrase) is { } pattern && Regex.IsMatch(text, pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, MatchTimeout))
            {
                return phrase;
            }
        }

        return null;
    }

    /// <summary>Why a phrase cannot be saved; null when it can.</summary>
    public static string? Problem(string? phrase) =>
        phrase is null || Words(phrase).Length == 0 ? "An emergency phrase needs at least one word."
        : phrase.Length > MaxPhraseLength ? $"'{phrase[..20]}…' is longer than {MaxPhraseLength} characters."
        : phrase.Any(c => !(char.IsLetterOrDigit(c) || c is ' ' or '-' or '\'')) ? $"'{phrase}' may hold only letters, digits, spaces, hyphens and apostrophes."
        : null;

    // Note: the words are escaped, joined by white space with up to two other words between them, and bounded by "not
    // a letter or digit" on both sides, so a phrase never matches inside a longer word and a manager's text is never
    // read as a pattern.
    private const string Between = @"(?:[^\p{L}\p{N}]+[\p{L}\p{N}'-]+){0,2}[^\p{L}\p{N}]+";

    private static string? Pattern(string phrase) => Words(phrase) is { Length: > 0 } words
        ? @"(?<![\p{L}\p{N}])" + string.Join(Between, words.Select(Regex.Escape)) + @"(?![\p{L}\p{N}])"
        : null;

    private static string[] Words(string phrase) => phrase.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
