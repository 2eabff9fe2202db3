using System.Net;
using Polly;
using Polly.Timeout;

namespace RecoveryComms.Telephony.Tests;

public sealed class TwilioServiceCollectionExtensionsTests
{
    private const string Account = "https://api.twilio.com/2010-04-01/Accounts/AC1/";

    public static TheoryData<string, string, string, bool> Outcomes => new()
    {
        // A read is safe to repeat whatever went wrong.
        { "GET", "Messages.json", "429", true },
        { "GET", "Messages.json", "503", true },
        { "GET", "Calls.json", "500", true },
        { "GET", "Calls.json", "499", false },
        { "GET", "Messages.json", "connection", true },
        { "GET", "Messages.json", "timeout", true },
        { "GET", "Messages.json", "400", false },
        // A call create is repeated only when Twilio says it did not process it.
        { "POST", "Calls.json", "429", true },
        { "POST", "Calls.json", "503", false },
        { "POST", "Calls.json", "connection", false },
        { "POST", "Calls.json", "timeout", false },
        // A message create is never repeated.
        { "POST", "Messages.json", "429", false },
        { "POST", "Messages.json", "500", false },
        { "POST", "Messages.json", "connection", false },
        { "POST", "Messages.json", "timeout", false },
        { "POST", "Messages.json", "201", false },
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void ShouldRetry_ByMethodResourceAndOutcome_RepeatsOnlyWhatTwilioCannotHaveDone(string method, string resource, string outcome, bool retried)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(Account + resource));
        using var response = int.TryParse(outcome, out var status) ? new HttpResponseMessage((HttpStatusCode)status) : null;
        var result = outcome switch
        {
            "connection" => Outcome.FromException<HttpResponseMessage>(new HttpRequestException("Connection reset by peer")),
            "timeout" => Outcome.FromException<HttpResponseMessage>(new TimeoutRejectedException()),
            _ => Outcome.FromResult(response!),
        };

        Assert.Equal(retried, TwilioServiceCollectionExtensions.ShouldRetry(request, result));
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public void ShouldRetry_NoRequestKnown_NeverRepeats(HttpStatusCode status)
    {
        using var response = new HttpResponseMessage(status);

        Assert.False(TwilioServiceCollectionExtensions.ShouldRetry(null, Outcome.FromResult(response)));
    }
}
