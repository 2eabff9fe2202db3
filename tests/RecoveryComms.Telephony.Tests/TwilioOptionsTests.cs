using System.ComponentModel.DataAnnotations;

namespace RecoveryComms.Telephony.Tests;

public sealed class TwilioOptionsTests
{
    [Fact]
    public void Defaults_AreTwiliosApiAndTheLocalWebhooks()
    {
        var options = new TwilioOptions();

        Assert.Equal("Twilio", TwilioOptions.Section);
        Assert.Equal(("", ""), (options.AccountSid, options.AuthToken));
        Assert.Equal("https://api.twilio.com", options.ApiBaseUrl);
        Assert.Equal("http://127.0.0.1:5080", options.PublicBaseUrl);
        Assert.Equal(TimeSpan.FromSeconds(15), options.RequestTimeout);
    }

    [Theory]
    [InlineData(99, false)]
    [InlineData(100, true)]
    [InlineData(15_000, true)]
    [InlineData(120_000, true)]
    [InlineData(120_001, false)]
    public void Validate_RequestTimeout_From100MillisecondsToTwoMinutes(int milliseconds, bool valid)
    {
        var options = new TwilioOptions { RequestTimeout = TimeSpan.FromMilliseconds(milliseconds) };

        var results = options.Validate(new ValidationContext(options)).ToList();

        if (valid)
        {
            Assert.Empty(results);
        }
        else
        {
            var result = Assert.Single(results);
            Assert.Equal("Twilio:RequestTimeout must be between 00:00:00.100 and 00:02:00.", result.ErrorMessage);
            Assert.Equal([nameof(TwilioOptions.RequestTimeout)], result.MemberNames);
        }
    }
}
