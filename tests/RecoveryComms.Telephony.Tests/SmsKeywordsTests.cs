using RecoveryComms.Telephony.Messaging;

namespace RecoveryComms.Telephony.Tests;

public sealed class SmsKeywordsTests
{
    [Theory]
    [InlineData("STOP")]
    [InlineData("stop")]
    [InlineData("Stop")]
    [InlineData("  STOP  ")]
    [InlineData("STOP\n")]
    [InlineData("Stop.")]
    [InlineData("STOP!!")]
    [InlineData("\"stop\"")]
    [InlineData("STOPALL")]
    [InlineData("Unsubscribe")]
    [InlineData("cancel")]
    [InlineData("END")]
    [InlineData("quit")]
    [InlineData("Revoke")]
    [InlineData("OPTOUT")]
    [InlineData("opt out")]
    public void Classify_OptOutKeyword_IsOptOut(string body)
    {
        Assert.Equal(SmsIntent.OptOut, SmsKeywords.Classify(body, optOutType: null, currentlyOptedOut: false));
    }

    [Theory]
    [InlineData("Stop by at 3?")]
    [InlineData("Can you stop by tomorrow")]
    [InlineData("The leak won't stop")]
    [InlineData("STOP PLEASE")]
    [InlineData("end of the day works")]
    [InlineData("Yes please come")]
    [InlineData("")]
    [InlineData("Thanks!")]
    public void Classify_NotAKeyword_IsAReply(string body)
    {
        Assert.Equal(SmsIntent.Reply, SmsKeywords.Classify(body, optOutType: null, currentlyOptedOut: false));
    }

    [Theory]
    [InlineData("stop texting me")]
    [InlineData("Please don't text this number")]
    [InlineData("do not contact me again")]
    [InlineData("remove me from your list")]
    [InlineData("no more texts")]
    [InlineData("wrong number")]
    [InlineData("Leave me alone")]
    public void Classify_PlainRequestToStop_IsOptOutFlaggedForReview(string body)
    {
        Assert.Equal(SmsIntent.OptOutNeedsReview, SmsKeywords.Classify(body, optOutType: null, currentlyOptedOut: false));
    }

    [Theory]
    [InlineData("START", false, SmsIntent.OptIn)]
    [InlineData("unstop", false, SmsIntent.OptIn)]
    [InlineData("YES", true, SmsIntent.OptIn)]
    [InlineData("yes", false, SmsIntent.Reply)]
    [InlineData("HELP", false, SmsIntent.Help)]
    [InlineData("info", false, SmsIntent.Help)]
    public void Classify_OptInAndHelp(string body, bool optedOut, SmsIntent expected)
    {
        Assert.Equal(expected, SmsKeywords.Classify(body, optOutType: null, currentlyOptedOut: optedOut));
    }

    [Theory]
    [InlineData("STOP", SmsIntent.OptOut)]
    [InlineData("START", SmsIntent.OptIn)]
    [InlineData("HELP", SmsIntent.Help)]
    public void Classify_TwilioOptOutType_WinsOverTheBody(string optOutType, SmsIntent expected)
    {
        Assert.Equal(expected, SmsKeywords.Classify("arrêt", optOutType, currentlyOptedOut: false));
    }

    [Fact]
    public void Classify_NoBody_IsAReply() => Assert.Equal(SmsIntent.Reply, SmsKeywords.Classify(null, optOutType: null, currentlyOptedOut: false));
}
