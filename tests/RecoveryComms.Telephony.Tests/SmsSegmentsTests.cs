using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RecoveryComms.Telephony.Messaging;

namespace RecoveryComms.Telephony.Tests;

public sealed class SmsSegmentsTests
{
    // The GSM 03.38 default alphabet as Unicode code points, in GSM code order 0x00–0x7F without the escape
    // 0x1B (the Unicode consortium's GSM0338 mapping; 0x09 as the capital Ç, as 3GPP TS 23.038 and Twilio's
    // segment calculator have it). Written as numbers on purpose: a second, independent copy of the table.
    private static readonly int[] BasicCodePoints =
    [
        0x40, 0xA3, 0x24, 0xA5, 0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, 0x0A, 0xD8, 0xF8, 0x0D, 0xC5, 0xE5,
        0x394, 0x5F, 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E, 0xC6, 0xE6, 0xDF, 0xC9,
        0x20, 0x21, 0x22, 0x23, 0xA4, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F,
        0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
        0xA1, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F,
        0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0xC4, 0xD6, 0xD1, 0xDC, 0xA7,
        0xBF, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F,
        0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0xE4, 0xF6, 0xF1, 0xFC, 0xE0,
    ];

    // The extension table: form feed ^ { } \ [ ~ ] | €.
    private static readonly int[] ExtensionCodePoints = [0x0C, 0x5E, 0x7B, 0x7D, 0x5C, 0x5B, 0x7E, 0x5D, 0x7C, 0x20AC];

    private static readonly string[] Basic = [.. BasicCodePoints.Select(c => ((char)c).ToString())];

    private static readonly string[] Extension = [.. ExtensionCodePoints.Select(c => ((char)c).ToString())];

    // In neither table: an accented capital, curly quotes, a small ç, a backtick, a tab, Cyrillic, CJK.
    private static readonly string[] NonGsm = ["Á", "ç", "’", "“", "`", "\t", "Ж", "中"];

    private static readonly string[] Emoji = ["😀", "👍🏽"];

    private static Arbitrary<string> TextOf(params string[][] alphabets) =>
        Gen.Elements(alphabets.SelectMany(a => a).ToArray()).ArrayOf().Select(string.Concat).ToArbitrary();

    private static int Ceiling(int units, int perSegment) => (units + perSegment - 1) / perSegment;

    [Fact]
    public void IsGsm7_EveryCharacterOfTheBasicMultilingualPlane_MatchesTheGsm0338Tables()
    {
        Assert.Equal(127, BasicCodePoints.Distinct().Count());
        var expected = BasicCodePoints.Concat(ExtensionCodePoints).ToHashSet();

        var gsm = Enumerable.Range(0, 0x10000).Where(c => SmsSegments.IsGsm7(((char)c).ToString())).ToHashSet();

        Assert.Equal(expected.Order(), gsm.Order());
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(306, 2)]
    [InlineData(307, 3)]
    [InlineData(1600, 11)]
    public void Count_PlainCharacters_160ThenSegmentsOf153(int length, int segments) =>
        Assert.Equal(new SmsLength(true, length, segments), SmsSegments.Count(new string('7', length)));

    [Fact]
    public void Count_EightyEuroSigns_160UnitsInOneSegment()
    {
        Assert.Equal(new SmsLength(true, 160, 1), SmsSegments.Count(new string('€', 80)));
        Assert.Equal(new SmsLength(true, 162, 2), SmsSegments.Count(new string('€', 81)));
    }

    [Theory]
    [InlineData("{")]
    [InlineData("}")]
    [InlineData("[")]
    [InlineData("]")]
    [InlineData("~")]
    [InlineData("|")]
    [InlineData("^")]
    [InlineData("\\")]
    [InlineData("€")]
    [InlineData("\f")]
    public void Count_ExtensionCharacter_CountsTwo(string character) =>
        Assert.Equal(new SmsLength(true, 2, 1), SmsSegments.Count(character));

    [Fact]
    public void Count_PipeAndDigits_OneSegmentUpToTheLimit()
    {
        // Twilio's segment calculator's own vectors (shared/docs/twilio-facts.md §4.6).
        Assert.Equal(new SmsLength(true, 160, 1), SmsSegments.Count("|" + new string('1', 158)));
        Assert.Equal(new SmsLength(true, 161, 2), SmsSegments.Count("|" + new string('1', 159)));
    }

    [Fact]
    public void Count_OneEmoji_MakesTheTextUcs2WithTwoCodeUnits()
    {
        Assert.Equal(new SmsLength(false, 2, 1), SmsSegments.Count("😀"));
        Assert.Equal(new SmsLength(false, 19, 1), SmsSegments.Count("Call you at 3pm? 😀"));
    }

    [Fact]
    public void Count_Ucs2_70ThenSegmentsOf67()
    {
        Assert.Equal(new SmsLength(false, 70, 1), SmsSegments.Count("😜" + new string('1', 68)));
        Assert.Equal(new SmsLength(false, 71, 2), SmsSegments.Count("😜" + new string('1', 69)));
        Assert.Equal(new SmsLength(false, 70, 1), SmsSegments.Count(new string('Á', 70)));
        Assert.Equal(new SmsLength(false, 71, 2), SmsSegments.Count(new string('Á', 71)));
        Assert.Equal(new SmsLength(false, 134, 2), SmsSegments.Count(new string('Á', 134)));
        Assert.Equal(new SmsLength(false, 135, 3), SmsSegments.Count(new string('Á', 135)));
    }

    [Fact]
    public void Count_ExtensionCharacterInUcs2_CountsOne()
    {
        Assert.Equal(new SmsLength(false, 70, 1), SmsSegments.Count("😀" + new string(']', 68)));
        Assert.Equal(new SmsLength(false, 71, 2), SmsSegments.Count("😀" + new string(']', 69)));
    }

    [Fact]
    public void Count_ExtensionCharacterAcrossASegmentBoundary_MovesWholeToTheNextSegment()
    {
        // 152 + 2 + 152 = 306 septets would be two full segments of 153, but the escape pair cannot be split.
        var body = new string('a', 152) + "€" + new string('a', 152);

        Assert.Equal(new SmsLength(true, 306, 3), SmsSegments.Count(body));
    }

    [Fact]
    public void Count_SurrogatePairAcrossASegmentBoundary_MovesWholeToTheNextSegment()
    {
        var body = new string('Á', 66) + "😀" + new string('Á', 66);

        Assert.Equal(new SmsLength(false, 134, 3), SmsSegments.Count(body));
    }

    [Theory]
    [InlineData("Ç", true)]
    [InlineData("ç", false)]
    [InlineData("É", true)]
    [InlineData("é", true)]
    [InlineData("Á", false)]
    [InlineData("’", false)]
    [InlineData("`", false)]
    [InlineData("\t", false)]
    [InlineData("Δ", true)]
    [InlineData("\r\n", true)]
    public void IsGsm7_LookAlikesAndNeighbours_FollowTheTable(string text, bool gsm7) =>
        Assert.Equal(gsm7, SmsSegments.IsGsm7(text));

    [Fact]
    public void FitsOneSegment_TheRecoveryTemplate_OneSegmentButNotWithACurlyQuote()
    {
        const string text = "Hi, it's Lakeside Plumbing. Sorry we missed your call! We can call back today 2-4pm or tomorrow 9-11am. Which works? Reply STOP to opt out.";

        Assert.True(SmsSegments.FitsOneSegment(text));
        Assert.False(SmsSegments.FitsOneSegment(text.Replace("it's", "it’s", StringComparison.Ordinal)));
    }

    [Property]
    public Property Count_Gsm7Text_UnitsAreBasicCharactersPlusTwiceTheExtensionCharacters() =>
        Prop.ForAll(TextOf(Basic, Extension), text =>
        {
            var length = SmsSegments.Count(text);
            var extensions = text.Count(c => Extension.Contains(c.ToString()));
            return length.Gsm7 && length.Units == text.Length + extensions;
        });

    [Property]
    public Property Count_BasicCharactersOnly_SegmentsAre160OrCeilingOf153(NonNegativeInt size) =>
        Prop.ForAll(Gen.Elements(Basic).ArrayOf(size.Get % 1700).Select(string.Concat).ToArbitrary(), text =>
        {
            var expected = text.Length == 0 ? 0 : text.Length <= 160 ? 1 : Ceiling(text.Length, 153);
            return SmsSegments.Count(text) == new SmsLength(true, text.Length, expected);
        });

    [Property]
    public Property Count_AnyCharacterOutsideGsm7_MakesTheWholeTextUcs2CountedInCodeUnits() =>
        Prop.ForAll(TextOf(Basic, Extension), TextOf(NonGsm).Filter(t => t.Length > 0), TextOf(Basic, Extension),
            (before, foreign, after) =>
            {
                var text = before + foreign + after;
                var length = SmsSegments.Count(text);
                var expected = text.Length <= 70 ? 1 : Ceiling(text.Length, 67);
                return length == new SmsLength(false, text.Length, expected);
            });

    [Property]
    public Property Count_AppendingACharacter_NeverLowersTheSegments() =>
        Prop.ForAll(TextOf(Basic, Extension, NonGsm, Emoji), Gen.Elements(Basic.Concat(Extension).Concat(NonGsm).Concat(Emoji)).ToArbitrary(),
            (text, next) => SmsSegments.Count(text + next).Segments >= SmsSegments.Count(text).Segments);

    [Property]
    public Property FitsOneSegment_IsTheSingleSegmentLimitOfTheEncoding() =>
        Prop.ForAll(TextOf(Basic, Extension, NonGsm, Emoji), text =>
        {
            var length = SmsSegments.Count(text);
            return SmsSegments.FitsOneSegment(text) == (length.Units <= (length.Gsm7 ? 160 : 70));
        });

    [Fact]
    public void Count_ALoneHighSurrogateAtTheEnd_CountsOneUnitInItsSegment()
    {
        // 133 Cyrillic letters fill 67 + 66; the lone high surrogate is one unit, so it fits the second segment.
        var text = new string('Ж', 133) + "\uD83D";

        Assert.Equal(new SmsLength(false, 134, 2), SmsSegments.Count(text));
    }

    [Fact]
    public void Count_ALoneLowSurrogate_IsOneUnitAndNoPair()
    {
        var text = new string('Ж', 66) + "\uDC00" + new string('Ж', 66) + "\uDC00";

        Assert.Equal(new SmsLength(false, 134, 2), SmsSegments.Count(text));
    }

    [Fact]
    public void Arguments_Null_ThrowNamingTheBody()
    {
        Assert.Throws<ArgumentNullException>("body", () => SmsSegments.Count(null!));
        Assert.Throws<ArgumentNullException>("body", () => SmsSegments.IsGsm7(null!));
        Assert.Throws<ArgumentNullException>("body", () => SmsSegments.FitsOneSegment(null!));
    }
}
