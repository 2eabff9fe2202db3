using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests;

public sealed class OpenApiTests(ServicesHost host) : IClassFixture<ServicesHost>
{
    /// <summary>
    /// The orchestrator's routes in ../shared/docs/api-contract.md: every one is answered and documented.
    /// </summary>
    public static readonly TheoryData<string> ContractRoutes =
    [
        "POST /api/users",
        "GET /api/recoveries",
        "GET /api/recoveries/{id}",
        "POST /api/recoveries/{id}/claim",
        "POST /api/recoveries/{id}/call",
        "POST /api/recoveries/{id}/sms",
        "POST /api/recoveries/{id}/disposition",
        "POST /api/recoveries/{id}/reassign",
        "POST /api/callbacks",
        "GET /api/dispositions",
        "GET /api/scorecard",
        "GET /api/review/daily",
        "GET /api/review/end-of-day",
        "GET /api/stream",
        "POST /api/integrations/webhooks",
        "GET /api/integrations/webhooks",
        "DELETE /api/integrations/webhooks/{id}",
        "GET /api/integrations/deliveries",
    ];

    [Theory]
    [MemberData(nameof(ContractRoutes))]
    public async Task Document_ListsEveryContractRouteTheServiceImplements(string route)
    {
        var implemented = OpenApiRoutes.Implemented(host.OrchestratorServices);
        var (_, documented) = await OpenApiRoutes.DocumentedAsync(host.Orchestrator);

        Assert.Contains(route, implemented);
        Assert.Contains(route, documented);
    }

    [Fact]
    public async Task Document_ListsEveryApiRouteTheServiceAnswers()
    {
        var implemented = OpenApiRoutes.Implemented(host.OrchestratorServices);
        var (_, documented) = await OpenApiRoutes.DocumentedAsync(host.Orchestrator);

        Assert.Superset(ContractRoutes.Cast<object[]>().Select(r => (string)r[0]).ToHashSet(), new HashSet<string>(implemented));
        Assert.Empty(implemented.Except(documented));
    }

    [Fact]
    public async Task Document_IsAnonymous_AndDescribesTheApiKeySchemeAndProblemAnswers()
    {
        var anonymous = await host.Orchestrator.GetAsync("/openapi/v1.json");
        var (document, _) = await OpenApiRoutes.DocumentedAsync(host.Orchestrator);

        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        var create = document.GetProperty("paths").GetProperty("/api/integrations/webhooks").GetProperty("post");
        Assert.True(create.GetProperty("security")[0].TryGetProperty("ApiKey", out _));
        foreach (var status in new[] { "400", "401", "403" })
        {
            Assert.True(create.GetProperty("responses").GetProperty(status).GetProperty("content").TryGetProperty("application/problem+json", out _), status);
        }

        var remove = document.GetProperty("paths").GetProperty("/api/integrations/webhooks/{id}").GetProperty("delete");
        var notFound = remove.GetProperty("responses").GetProperty("404").GetProperty("content").GetProperty("application/problem+json");
        Assert.Equal("#/components/schemas/ProblemDetails", notFound.GetProperty("schema").GetProperty("$ref").GetString());
        Assert.Equal(JsonValueKind.Object, document.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails").ValueKind);
    }

    [Fact]
    public async Task DocumentedProblemAnswers_AreWhatTheServiceSends()
    {
        var admin = await host.CreatorKeyAsync();
        var created = await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Post, "/api/users",
            JsonContent.Create(new { name = "OpenAPI csr", role = "csr" })));
        var csr = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiKey").GetString();

        var unauthorized = await host.Orchestrator.SendAsync(ServicesHost.As(null, HttpMethod.Get, "/api/integrations/webhooks"));
        var forbidden = await host.Orchestrator.SendAsync(ServicesHost.As(csr, HttpMethod.Get, "/api/integrations/webhooks"));
        var notFound = await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Delete, $"/api/integrations/webhooks/{Guid.NewGuid()}"));

        foreach (var (response, status, type) in new[]
        {
            (unauthorized, HttpStatusCode.Unauthorized, "https://recoverycomms.dev/problems/unauthorized"),
            (forbidden, HttpStatusCode.Forbidden, "https://recoverycomms.dev/problems/forbidden"),
            (notFound, HttpStatusCode.NotFound, null),
        })
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            if (type is not null)
            {
                Assert.Equal(type, problem.GetProperty("type").GetString());
            }
        }

        Assert.Equal("Bearer", unauthorized.Headers.WwwAuthenticate.Single().Scheme);
    }
}
