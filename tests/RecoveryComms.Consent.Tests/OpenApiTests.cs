using System.Net;
using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests;

public sealed class OpenApiTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    /// <summary>The consent service's routes in ../shared/docs/api-contract.md, all built today.</summary>
    public static readonly TheoryData<string> ContractRoutes =
    [
        "GET /api/consent/{phone}",
        "POST /api/consent/{phone}",
        "GET /api/consent/events",
        "GET /api/consent/events.csv",
        "GET /api/consent/verify",
        "POST /api/accounts",
        "POST /api/accounts/import",
        "GET /api/contacts/resolve",
        "GET /api/suppression",
    ];

    [Theory]
    [MemberData(nameof(ContractRoutes))]
    public async Task Document_ListsEveryContractRoute(string route)
    {
        var (_, documented) = await OpenApiRoutes.DocumentedAsync(host.Http);

        Assert.Contains(route, OpenApiRoutes.Implemented(host.Services));
        Assert.Contains(route, documented);
    }

    [Fact]
    public async Task Document_ListsEveryApiRouteTheServiceAnswers()
    {
        var implemented = OpenApiRoutes.Implemented(host.Services);
        var (_, documented) = await OpenApiRoutes.DocumentedAsync(host.Http);

        Assert.NotEmpty(implemented);
        Assert.Empty(implemented.Except(documented));
    }

    [Fact]
    public async Task Document_IsAnonymous_AndDescribesTheApiKeySchemeAndProblemAnswers()
    {
        var anonymous = await host.Http.GetAsync("/openapi/v1.json");
        var (document, _) = await OpenApiRoutes.DocumentedAsync(host.Http);

        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        var events = document.GetProperty("paths").GetProperty("/api/consent/events").GetProperty("get");
        Assert.True(events.GetProperty("security")[0].TryGetProperty("ApiKey", out _));
        foreach (var status in new[] { "401", "403" })
        {
            Assert.True(events.GetProperty("responses").GetProperty(status).GetProperty("content").TryGetProperty("application/problem+json", out _), status);
        }
    }
}
