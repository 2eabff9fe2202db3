using System.Text.RegularExpressions;
using PhoneNumbers;

namespace RecoveryComms.Hosting.Phones;

/// <summary>E.164 normalisation, withheld-caller detection and masking for logs.</summary>
public static partial class Phone
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    // Note: what carriers and Twilio put in From when the caller withheld their number. "+266696687" is the
    // number Twilio reports for "anonymous" on some carriers (it spells ANONYMOUS on a keypad).
    private static readonly string[] WithheldMarkers = ["anonymous", "restricted", "unknown", "unavailable", "private", "blocked"];

    /// <summary>True when the caller ID is withheld: it cannot be called or texted back.</summary>
    /// <param name="raw">The From value as Twilio sent it.</param>
    public static bool IsWithheld(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return true;
        }

        var trimmed = raw.Trim();
        return trimmed == "+266696687" || trimmed == "266696687"
            || WithheldMarkers.Any(marker => trimmed.Contains(marker, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Parses any common format into E.164; false when it is not a possible number.</summary>
    /// <param name="raw">The number as typed or received.</param>
    /// <param name="defaultRegion">Region for numbers without a country code, e.g. <c>US</c>.</param>
    /// <param name="e164">The number in E.164.</param>
    public static bool TryNormalize(string? raw, string defaultRegion, out string e164)
    {
        e164 = "";
        if (string.IsNullOrWhiteSpace(raw) || IsWithheld(raw))
        {
            return false;
        }

        try
        {
            var number = Util.Parse(raw, defaultRegion);
            if (!Util.IsPossibleNumber(number))
            {
                return false;
            }

            e164 = Util.Format(number, PhoneNumberFormat.E164);
            return true;
        }
        catch (NumberParseException)
        {
            return false;
        }
    }

    /// <summary>E.164 when it parses, else the raw value trimmed (withheld IDs stay as Twilio sent them).</summary>
    /// <param name="raw">The number as received.</param>
    /// <param name="defaultRegion">Region for numbers without a country code.</param>
    public static string NormalizeOrRaw(string? raw, string defaultRegion) =>
        TryNormalize(raw, defaultRegion, out var e164) ? e164 : (raw ?? "").Trim();

    /// <summary>The last four digits only, for logs: <c>***4567</c>.</summary>
    /// <param name="number">Any phone number.</param>
    public static string Mask(string? number)
    {
        if (string.IsNullOrEmpty(number))
        {
            return "(none)";
        }

        var digits = new string(number.Where(char.IsAsciiDigit).ToArray());
        return digits.Length <= 4 ? "***" : "***" + digits[^4..];
    }

    /// <summary>
    /// Text from elsewhere (exception messages, Twilio's error text) made fit for a log line: every number of seven or
    /// more digits (optionally written with +, spaces, dashes, brackets) is masked to its last four.
    /// </summary>
    /// <param name="text">Any text.</param>
    public static string MaskText(string? text) =>
        string.IsNullOrEmpty(text) ? "" : PhoneLike().Replace(text, m => m.Value.Count(char.IsAsciiDigit) >= 7 ? Mask(m.Value) : m.Value);

    [GeneratedRegex(@"\+?\(?\d[\d\s()\-]{5,}\d", RegexOptions.CultureInvariant)]
    private static partial Regex PhoneLike();
}
