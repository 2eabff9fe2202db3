using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Consent.Tests.Identity;

public sealed class PhoneNormalizationTests
{
    [Theory]
    [InlineData("(312) 555-0142", "+13125550142")]
    [InlineData("312-555-0142", "+13125550142")]
    [InlineData("312.555.0142", "+13125550142")]
    [InlineData("3125550142", "+13125550142")]
    [InlineData("1 312 555 0142", "+13125550142")]
    [InlineData("+1 (312) 555-0142", "+13125550142")]
    [InlineData("+13125550142", "+13125550142")]
    [InlineData("  +1-312-555-0142 ", "+13125550142")]
    [InlineData("+44 20 7946 0958", "+442079460958")]
    [InlineData("011 44 20 7946 0958", "+442079460958")]
    public void TryNormalize_CommonFormats_GiveE164(string raw, string expected)
    {
        Assert.True(Phone.TryNormalize(raw, "US", out var e164));
        Assert.Equal(expected, e164);
    }

    [Theory]
    [InlineData("12")]
    [InlineData("hello")]
    [InlineData("")]
    [InlineData("+1 312 555 01421234")]
    [InlineData("anonymous")]
    public void TryNormalize_NotANumber_IsRefused(string raw)
    {
        Assert.False(Phone.TryNormalize(raw, "US", out _));
    }

    [Theory]
    [InlineData("anonymous")]
    [InlineData("Anonymous")]
    [InlineData("restricted")]
    [InlineData("+266696687")]
    [InlineData("Unknown")]
    [InlineData("")]
    public void IsWithheld_WithheldCallerIds_AreRecognised(string raw)
    {
        Assert.True(Phone.IsWithheld(raw));
    }

    [Fact]
    public void Mask_KeepsLastFourDigitsOnly()
    {
        Assert.Equal("***0142", Phone.Mask("+13125550142"));
    }
}
