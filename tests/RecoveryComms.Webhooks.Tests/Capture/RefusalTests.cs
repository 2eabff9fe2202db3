using System.Net;
using System.Text;
using RecoveryComms.Telephony.Signatures;
using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests.Capture;

public sealed class RefusalTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    [Fact]
    public async Task Webhook_WithoutSignature_Gets403AndNothingIsStored()
    {
        var callSid = Sids.Call();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/twilio/voice/status")
        {
            Content = new FormUrlEncodedContent([new("CallSid", callSid), new("CallStatus", "completed")]),
        };

        var response = await host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(0, await host.StoredWebhooksAsync(callSid));
    }

    [Fact]
    public async Task Webhook_SignedWithAnotherToken_Gets403AndNothingIsStored()
    {
        var callSid = Sids.Call();
        KeyValuePair<string, string>[] form = [new("CallSid", callSid), new("CallStatus", "completed")];
        var forged = TwilioSignature.Compute("not-the-token", WebhooksHost.PublicBaseUrl + "/twilio/voice/status", form);

        var response = await host.Twilio.PostAsync("/twilio/voice/status", form, signature: forged);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, await host.StoredWebhooksAsync(callSid));
    }

    [Fact]
    public async Task Webhook_SignedForTheInternalUrlNotThePublicOne_Gets403()
    {
        var callSid = Sids.Call();
        KeyValuePair<string, string>[] form = [new("CallSid", callSid), new("CallStatus", "completed")];
        var internalUrl = TwilioSignature.Compute(WebhooksHost.AuthToken, "http://localhost/twilio/voice/status", form);

        var response = await host.Twilio.PostAsync("/twilio/voice/status", form, signature: internalUrl);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Webhook_ParameterChangedInTransit_Gets403()
    {
        var callSid = Sids.Call();
        KeyValuePair<string, string>[] signed = [new("CallSid", callSid), new("CallStatus", "completed")];
        var signature = TwilioSignature.Compute(WebhooksHost.AuthToken, WebhooksHost.PublicBaseUrl + "/twilio/voice/status", signed);

        var response = await host.Twilio.PostAsync("/twilio/voice/status", [new("CallSid", callSid), new("CallStatus", "busy")], signature);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, await host.StoredWebhooksAsync(callSid));
    }

    [Fact]
    public async Task Webhook_WithUnknownExtraParameters_IsAccepted()
    {
        var callSid = Sids.Call();

        var response = await host.Twilio.PostAsync("/twilio/voice/status",
            ("CallSid", callSid), ("CallStatus", "ringing"), ("StirStatus", "A"), ("SomeFutureParameter", "x"), ("Digits", "1"), ("Digits", "2"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(1, await host.StoredWebhooksAsync(callSid));
    }

    [Theory]
    [InlineData("CallStatus=completed", "CallSid")]
    [InlineData("CallSid=not-a-sid&CallStatus=completed", "not a Twilio SID")]
    [InlineData("CallSid=CA0123456789abcdef0123456789abcdef&CallStatus=COMPLETED%3B", "not a status")]
    [InlineData("CallSid=CA0123456789abcdef0123456789abcdef&CallStatus=completed&SequenceNumber=two", "whole number")]
    public async Task Status_MalformedParameters_Gets400ProblemAndNothingIsStored(string body, string expectedDetail)
    {
        var form = body.Split('&').Select(p => p.Split('=')).Select(p => new KeyValuePair<string, string>(p[0], Uri.UnescapeDataString(p[1]))).ToList();

        var response = await host.Twilio.PostAsync("/twilio/voice/status", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadAsStringAsync();
        Assert.Contains("https://recoverycomms.dev/problems/malformed-webhook", problem, StringComparison.Ordinal);
        Assert.Contains(expectedDetail, problem, StringComparison.Ordinal);
        Assert.Equal(0, await host.StoredWebhooksAsync("CA0123456789abcdef0123456789abcdef"));
    }

    [Fact]
    public async Task Webhook_JsonBody_Gets400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/twilio/voice/status")
        {
            Content = new StringContent("{\"CallSid\":\"CA1\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(TwilioSignature.HeaderName, "x");

        var response = await host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Webhook_Over64KiB_Gets413AndNothingIsStored()
    {
        var callSid = Sids.Call();

        var response = await host.Twilio.PostAsync("/twilio/sms/incoming",
            ("MessageSid", callSid), ("From", "+13125551234"), ("To", WebhooksHost.ShopLine), ("Body", new string('x', 70_000)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await host.StoredWebhooksAsync(callSid));
    }

    [Fact]
    public async Task Webhook_Of60KiB_IsAccepted()
    {
        var messageSid = Sids.Message();

        var response = await host.Twilio.PostAsync("/twilio/sms/incoming",
            ("MessageSid", messageSid), ("From", "+13125551234"), ("To", WebhooksHost.ShopLine), ("Body", new string('x', 60_000)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await host.StoredWebhooksAsync(messageSid));
    }
}

public sealed class ConsentUnavailableTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    [Fact]
    public async Task StopText_WhileTheConsentServiceDoesNotAnswer_Gets503SoTwilioRetries_ButIsStored()
    {
        // No consent service listens on this host's broker prefix.
        var messageSid = Sids.Message();

        var response = await host.Twilio.PostAsync("/twilio/sms/incoming",
            ("MessageSid", messageSid), ("From", Sids.Phone()), ("To", WebhooksHost.ShopLine), ("Body", "STOP"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, await host.StoredWebhooksAsync(messageSid));
    }
}
