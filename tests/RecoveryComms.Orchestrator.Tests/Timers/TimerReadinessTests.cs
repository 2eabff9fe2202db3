using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using RecoveryComms.Orchestrator.Tests.Queue;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Timers;

/// <summary>The loop with a short timer-loop threshold, so a test sees readiness turn red quickly.</summary>
public sealed class TimerReadinessHost : LoopHost
{
    public static readonly TimeSpan UnhealthyAfter = TimeSpan.FromSeconds(2);

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Timers:UnhealthyAfter"] = UnhealthyAfter.ToString(),
    };
}

public sealed class TimerReadinessTests(TimerReadinessHost host) : IClassFixture<TimerReadinessHost>
{
    private async Task<(HttpStatusCode Status, string? Timers)> ReadyAsync()
    {
        using var response = await host.Orchestrator.GetAsync("/health/ready");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body.GetProperty("checks").GetProperty("timers").GetProperty("status").GetString());
    }

    private async Task RenameAsync(string from, string to)
    {
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        await connection.OpenAsync();
        await using var rename = new NpgsqlCommand($"ALTER TABLE orchestrator.{from} RENAME TO {to}", connection);
        await rename.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Readiness_WhenTheTimerLoopFailsLongerThanItsThreshold_TurnsRed_AndGreenOnceItWorks()
    {
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await ReadyAsync());

        await RenameAsync("timers", "timers_away");
        try
        {
            await Eventually.ValueAsync(ReadyAsync, ready => ready == (HttpStatusCode.ServiceUnavailable, "Unhealthy"),
                TimerReadinessHost.UnhealthyAfter + TimeSpan.FromSeconds(20), "the timer loop's readiness turns red");
        }
        finally
        {
            await RenameAsync("timers_away", "timers");
        }

        await Eventually.ValueAsync(ReadyAsync, ready => ready == (HttpStatusCode.OK, "Healthy"), TimeSpan.FromSeconds(20), "green again");
    }
}
