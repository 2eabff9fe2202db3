using System.Net;
using System.Text.Json.Nodes;
using RecoveryComms.Orchestrator.Tests.Queue;

namespace RecoveryComms.Orchestrator.Tests.Settings;

/// <summary>A shop whose configuration lets the ring group ring a British number as well as its own country's.</summary>
public sealed class AbroadRingGroupHost : LoopHost
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Webhooks:RingGroup:0"] = "+15550002222",
        ["Recovery:RingGroupCountries:0"] = "US",
        ["Recovery:RingGroupCountries:1"] = "GB",
    };
}

public sealed class RingGroupCountryTests(AbroadRingGroupHost host) : IClassFixture<AbroadRingGroupHost>
{
    private async Task<HttpResponseMessage> PutRingGroupAsync(params string[] numbers)
    {
        var manager = await host.UserAsync("manager");
        var read = await host.SendAsync(manager, HttpMethod.Get, "/api/settings");
        var document = JsonNode.Parse(await read.Content.ReadAsStringAsync())!.AsObject();
        document["ringGroup"] = new JsonArray([.. numbers.Select(n => (JsonNode?)JsonValue.Create(n))]);
        return await host.Orchestrator.SendAsync(LoopHost.As(manager.ApiKey, HttpMethod.Put, "/api/settings",
            new StringContent(document.ToJsonString(), System.Text.Encoding.UTF8, "application/json")));
    }

    [Fact]
    public async Task Put_ANumberInACountryTheConfigurationAllows_IsSaved()
    {
        using var response = await PutRingGroupAsync("+13125550100", "+447700900123");

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Put_ANumberInACountryNotListed_IsStill400()
    {
        using var response = await PutRingGroupAsync("+33612345678");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("FR", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
