using RecoveryComms.Telephony.Rest;

namespace RecoveryComms.Telephony.Tests;

public sealed class TwilioApiExceptionTests
{
    [Theory]
    [InlineData(400, 21610, "Attempt to send to unsubscribed recipient", "Twilio answered 400 (error 21610): Attempt to send to unsubscribed recipient", true)]
    [InlineData(502, null, "<html>Bad gateway</html>", "Twilio answered 502: <html>Bad gateway</html>", false)]
    [InlineData(429, 20429, "Too Many Requests", "Twilio answered 429 (error 20429): Too Many Requests", false)]
    public void Constructor_SaysWhatTwilioAnswered(int status, int? code, string text, string message, bool unsubscribed)
    {
        var error = new TwilioApiException(status, code, text, "https://www.twilio.com/docs/errors/x");

        Assert.Equal(message, error.Message);
        Assert.Equal((status, code, text, "https://www.twilio.com/docs/errors/x"), (error.HttpStatus, error.Code, error.TwilioMessage, error.MoreInfo));
        Assert.Equal(unsubscribed, error.IsUnsubscribedRecipient);
    }
}
