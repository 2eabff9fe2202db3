using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using RecoveryComms.Telephony;

namespace RecoveryComms.Webhooks.Tests;

/// <summary>Error answers are problem+json on the webhooks service too, while the Twilio routes keep their own answers.</summary>
public sealed class ProblemAnswerTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    private static async Task<string?> TypeAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString();
    }

    [Fact]
    public async Task GetOnATwilioRoute_FromABrowser_Is405WithOurType()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, TwilioCallbacks.VoiceIncoming);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        var response = await host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("https://recoverycomms.dev/problems/method-not-allowed", await TypeAsync(response));
    }

    [Fact]
    public async Task UnsignedWebhook_KeepsItsOwn403()
    {
        var response = await host.Http.PostAsync(TwilioCallbacks.VoiceStatus, new FormUrlEncodedContent([new("CallSid", "CA" + Guid.NewGuid().ToString("N"))]));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("https://recoverycomms.dev/problems/invalid-signature", await TypeAsync(response));
    }
}
