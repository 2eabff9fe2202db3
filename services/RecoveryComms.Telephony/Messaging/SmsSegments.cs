namespace RecoveryComms.Telephony.Messaging;

/// <summary>How long a text is on the air: its encoding, counted length and number of SMS segments.</summary>
/// <param name="Gsm7">True when every character is in the GSM 03.38 default alphabet or its extension table;
/// false when the text must go as UCS-2.</param>
/// <param name="Units">GSM-7: septets (a basic character counts 1, an extension character 2).
/// UCS-2: UTF-16 code units (a character outside the Basic Multilingual Plane, such as an emoji, counts 2).</param>
/// <param name="Segments">The SMS segments the text is split into; 0 for an empty text.</param>
public readonly record struct SmsLength(bool Gsm7, int Units, int Segments);

/// <summary>
/// Counts SMS segments the way the network and Twilio do (shared/docs/twilio-facts.md §4.6): a text is GSM-7
/// when every character is in the GSM 03.38 (3GPP TS 23.038) default alphabet or its extension table, and UCS-2
/// as soon as one character is not. One segment holds 160 GSM-7 septets or 70 UCS-2 code units; a longer text
/// is split into segments of 153 or 67 (the rest of each carries the concatenation header).
/// </summary>
/// <remarks>
/// Note: Twilio's Messaging Service "smart encoding" (which swaps curly quotes and other look-alikes for GSM
/// characters) is not assumed; a curly quote makes the text UCS-2 here, so the count never comes out lower than
/// what Twilio bills.
/// </remarks>
public static class SmsSegments
{
    /// <summary>GSM-7 septets in a text that fits one segment.</summary>
    public const int Gsm7SingleSegment = 160;

    /// <summary>GSM-7 septets per segment of a multipart text.</summary>
    public const int Gsm7MultipartSegment = 153;

    /// <summary>UCS-2 code units in a text that fits one segment.</summary>
    public const int Ucs2SingleSegment = 70;

    /// <summary>UCS-2 code units per segment of a multipart text.</summary>
    public const int Ucs2MultipartSegment = 67;

    /// <summary>
    /// The GSM 03.38 default alphabet, in code order 0x00–0x7F, without 0x1B (the escape to the extension table).
    /// Note: 0x09 is the capital Ç, as in 3GPP TS 23.038 and in Twilio's own segment calculator; the small ç is
    /// not in the alphabet, so it makes a text UCS-2.
    /// </summary>
    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅå" +
        "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ" +
        " !\"#¤%&'()*+,-./" +
        "0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNO" +
        "PQRSTUVWXYZÄÖÑÜ§" +
        "¿abcdefghijklmno" +
        "pqrstuvwxyzäöñüà";

    /// <summary>The extension table: each is sent as the escape 0x1B and a second septet, so it counts 2.</summary>
    private const string Extension = "\f^{}\\[~]|€";

    private static readonly HashSet<char> BasicSet = [.. Basic];
    private static readonly HashSet<char> ExtensionSet = [.. Extension];

    /// <summary>Counts a text's encoding, length and segments.</summary>
    /// <param name="body">The text as it will be sent.</param>
    /// <returns>Its length; for a multipart text a two-septet extension character or a surrogate pair is never
    /// split between segments (it moves whole to the next one), as handsets and Twilio's calculator do.</returns>
    public static SmsLength Count(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return IsGsm7(body) ? CountGsm7(body) : CountUcs2(body);
    }

    /// <summary>True when the text goes out as one SMS: at most 160 GSM-7 septets, or 70 UCS-2 code units.</summary>
    /// <param name="body">The text as it will be sent.</param>
    public static bool FitsOneSegment(string body) => Count(body).Segments <= 1;

    /// <summary>True when every character of the text is in the GSM 03.38 default alphabet or its extension table.</summary>
    /// <param name="body">The text.</param>
    public static bool IsGsm7(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        foreach (var c in body)
        {
            if (!BasicSet.Contains(c) && !ExtensionSet.Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    private static SmsLength CountGsm7(string body)
    {
        var units = 0;
        foreach (var c in body)
        {
            units += ExtensionSet.Contains(c) ? 2 : 1;
        }

        if (units <= Gsm7SingleSegment)
        {
            return new SmsLength(true, units, body.Length == 0 ? 0 : 1);
        }

        var segments = 1;
        var used = 0;
        foreach (var c in body)
        {
            var width = ExtensionSet.Contains(c) ? 2 : 1;
            if (used + width > Gsm7MultipartSegment)
            {
                segments++;
                used = 0;
            }

            used += width;
        }

        return new SmsLength(true, units, segments);
    }

    private static SmsLength CountUcs2(string body)
    {
        if (body.Length <= Ucs2SingleSegment)
        {
            return new SmsLength(false, body.Length, 1);
        }

        var segments = 1;
        var used = 0;
        for (var i = 0; i < body.Length; i++)
        {
            var width = char.IsHighSurrogate(body[i]) && i + 1 < body.Length && char.IsLowSurrogate(body[i + 1]) ? 2 : 1;
            if (used + width > Ucs2MultipartSegment)
            {
                segments++;
                used = 0;
            }

            used += width;
            i += width - 1;
        }

        return new SmsLength(false, body.Length, segments);
    }
}
