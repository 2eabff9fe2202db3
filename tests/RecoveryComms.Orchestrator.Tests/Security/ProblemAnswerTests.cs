using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace RecoveryComms.Orchestrator.Tests.Security;

/// <summary>The contract's "Errors everywhere: application/problem+json with a stable type", for the answers the framework makes.</summary>
public sealed class ProblemAnswerTests(ServicesHost host) : IClassFixture<ServicesHost>
{
    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/html")]
    [InlineData("text/plain")]
    public async Task WrongKey_Is401WithAProblemBody_WhateverTheClientAccepts(string? accept)
    {
        using var request = ServicesHost.As("not-a-key-anyone-has", HttpMethod.Get, "/api/recoveries");
        if (accept is not null)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        var problem = await ProblemAsync(await host.Orchestrator.SendAsync(request), HttpStatusCode.Unauthorized);

        Assert.Equal("https://recoverycomms.dev/problems/unauthorized", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task InvalidJsonBody_Is400InvalidJson_NamingTheParameterButNotTheBody()
    {
        var admin = await host.CreatorKeyAsync();
        var body = new StringContent("{\"name\": \"Dana\", \"phone\": \"+13125550123\"", Encoding.UTF8, "application/json");

        var problem = await ProblemAsync(await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Post, "/api/users", body)), HttpStatusCode.BadRequest);

        Assert.Equal("https://recoverycomms.dev/problems/invalid-json", problem.GetProperty("type").GetString());
        Assert.Contains("from the request body as JSON", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("5550123", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongMethod_Is405WithOurType_ForABrowserToo()
    {
        var admin = await host.CreatorKeyAsync();
        using var request = ServicesHost.As(admin, HttpMethod.Delete, "/api/users");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        var problem = await ProblemAsync(await host.Orchestrator.SendAsync(request), HttpStatusCode.MethodNotAllowed);

        Assert.Equal("https://recoverycomms.dev/problems/method-not-allowed", problem.GetProperty("type").GetString());
    }
}
