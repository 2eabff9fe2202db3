using RecoveryComms.Telephony.Rest;

namespace RecoveryComms.Telephony.Tests;

public sealed class TwilioOutcomeUnknownExceptionTests
{
    [Fact]
    public void Constructor_AfterAServerError_NamesTheStatus()
    {
        var cause = new TwilioApiException(503, null, "Service Unavailable", null);

        var error = new TwilioOutcomeUnknownException("Messages.json", 503, cause);

        Assert.Equal("Creating Messages.json: the outcome is unknown (HTTP 503); Twilio may have acted on it", error.Message);
        Assert.Equal(("Messages.json", (int?)503), (error.Resource, error.HttpStatus));
        Assert.Same(cause, error.InnerException);
    }

    [Fact]
    public void Constructor_WithoutAnAnswer_NamesWhatFailed()
    {
        var error = new TwilioOutcomeUnknownException("Calls.json", null, new HttpRequestException("reset"));

        Assert.Equal("Creating Calls.json: the outcome is unknown (HttpRequestException); Twilio may have acted on it", error.Message);
        Assert.Null(error.HttpStatus);
    }
}
