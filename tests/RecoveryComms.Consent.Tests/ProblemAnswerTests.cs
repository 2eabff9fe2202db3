using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace RecoveryComms.Consent.Tests;

/// <summary>The contract's "Errors everywhere: application/problem+json with a stable type", on the consent service.</summary>
public sealed class ProblemAnswerTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    [Fact]
    public async Task WrongKey_FromABrowser_Is401WithAProblemBody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/consent/events");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-key-anyone-has");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        var response = await host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("https://recoverycomms.dev/problems/unauthorized", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task InvalidJsonBody_Is400InvalidJson()
    {
        var compliance = await host.KeyAsync("compliance");

        var response = await host.SendAsync(compliance, HttpMethod.Post, $"/api/consent/{Uri.EscapeDataString(Numbers.Chicago())}",
            new StringContent("{\"channel\": \"sms\",", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("https://recoverycomms.dev/problems/invalid-json", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
    }
}
