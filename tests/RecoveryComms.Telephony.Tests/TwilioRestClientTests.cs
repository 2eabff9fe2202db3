using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Telephony.Rest;
using RecoveryComms.Testing;

namespace RecoveryComms.Telephony.Tests;

public sealed class TwilioRestClientTests : IDisposable
{
    private const string AccountSid = "AC11111111111111111111111111111111";
    private readonly TwilioApiSandbox _twilio = TwilioApiSandbox.Start();
    private readonly ServiceProvider _services;

    public TwilioRestClientTests()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Twilio:AccountSid"] = AccountSid,
            ["Twilio:AuthToken"] = "secret-token",
            ["Twilio:ApiBaseUrl"] = _twilio.BaseUrl,
            ["Twilio:PublicBaseUrl"] = "https://hooks.example",
        }).Build();
        _services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddTwilio(retryBaseDelay: TimeSpan.FromMilliseconds(10))
            .BuildServiceProvider();
    }

    private ITwilioRestClient Client => _services.GetRequiredService<ITwilioRestClient>();

    [Fact]
    public async Task CreateMessageAsync_SendsBasicAuthAndFormBody_ReturnsSid()
    {
        var message = await Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "Sorry we missed you & your call", From: "+15550001111"),
            CancellationToken.None);

        Assert.StartsWith("SM", message.Sid, StringComparison.Ordinal);
        var request = Assert.Single(_twilio.Requests("Messages.json")).RequestMessage;
        Assert.Equal($"/2010-04-01/Accounts/{AccountSid}/Messages.json", request.Path);
        var expectedAuth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:secret-token"));
        Assert.Equal(expectedAuth, request.Headers!["Authorization"].Single());
        Assert.Equal("To=%2B15551234567&Body=Sorry+we+missed+you+%26+your+call&From=%2B15550001111", request.Body);
    }

    [Fact]
    public async Task CreateCallAsync_WithStatusCallback_RepeatsStatusCallbackEvent()
    {
        var call = await Client.CreateCallAsync(
            new CreateCallRequest("+15552223333", "+15550001111", new Uri("https://hooks.example/twilio/voice/connect?item=7"),
                new Uri("https://hooks.example/twilio/voice/attempt-status#rc=3&rp=ct,rt,5xx"), 25),
            CancellationToken.None);

        Assert.StartsWith("CA", call.Sid, StringComparison.Ordinal);
        var body = Assert.Single(_twilio.Requests("Calls.json")).RequestMessage.Body!;
        Assert.Contains("Url=https%3A%2F%2Fhooks.example%2Ftwilio%2Fvoice%2Fconnect%3Fitem%3D7", body, StringComparison.Ordinal);
        Assert.Contains("StatusCallback=https%3A%2F%2Fhooks.example%2Ftwilio%2Fvoice%2Fattempt-status%23rc%3D3%26rp%3Dct%2Crt%2C5xx", body, StringComparison.Ordinal);
        Assert.Equal(4, body.Split('&').Count(p => p.StartsWith("StatusCallbackEvent=", StringComparison.Ordinal)));
        Assert.Contains("Timeout=25", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateMessageAsync_UnsubscribedRecipient_ThrowsTypedErrorWithoutRetry()
    {
        _twilio.FailNext("Messages.json", 1, HttpStatusCode.BadRequest, 21610, "Attempt to send to unsubscribed recipient");

        var error = await Assert.ThrowsAsync<TwilioApiException>(() => Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", MessagingServiceSid: "MG123"), CancellationToken.None));

        Assert.Equal(400, error.HttpStatus);
        Assert.Equal(21610, error.Code);
        Assert.True(error.IsUnsubscribedRecipient);
        Assert.Equal("https://www.twilio.com/docs/errors/21610", error.MoreInfo);
        Assert.Single(_twilio.Requests("Messages.json"));
    }

    [Fact]
    public async Task CreateMessageAsync_TooManyRequestsThenServerError_RetriesUntilCreated()
    {
        _twilio.FailNext("Messages.json", 2, HttpStatusCode.TooManyRequests, 20429, "Too Many Requests");

        var message = await Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", From: "+15550001111"), CancellationToken.None);

        Assert.StartsWith("SM", message.Sid, StringComparison.Ordinal);
        Assert.Equal(3, _twilio.Requests("Messages.json").Count);
    }

    [Fact]
    public async Task CreateCallAsync_ServerErrorEveryTime_GivesUpWithTypedError()
    {
        _twilio.FailNext("Calls.json", 10, HttpStatusCode.ServiceUnavailable, null, "Service Unavailable");

        var error = await Assert.ThrowsAsync<TwilioApiException>(() => Client.CreateCallAsync(
            new CreateCallRequest("+15552223333", "+15550001111", new Uri("https://hooks.example/c")), CancellationToken.None));

        Assert.Equal(503, error.HttpStatus);
        Assert.Null(error.Code);
        Assert.Equal(4, _twilio.Requests("Calls.json").Count);
    }

    [Fact]
    public async Task CreateMessageAsync_BothSenders_IsRejectedBeforeSending()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client.CreateMessageAsync(
            new CreateMessageRequest("+15551234567", "hi", From: "+15550001111", MessagingServiceSid: "MG1"), CancellationToken.None));

        Assert.Empty(_twilio.Requests("Messages.json"));
    }

    public void Dispose()
    {
        _services.Dispose();
        _twilio.Dispose();
    }
}
