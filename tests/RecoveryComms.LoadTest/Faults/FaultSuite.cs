using System.Diagnostics;
using System.Globalization;

namespace RecoveryComms.LoadTest.Faults;

/// <summary>
/// The fault suite (<c>./infra/dev.sh faults [scenario ...]</c>, docs/reliability.md): runs the scenarios named (all by
/// default) in order, one pass/fail line each, and writes the results between the markers of the report file.
/// </summary>
internal static class FaultSuite
{
    /// <summary>Every scenario in the order they run; a null body is skipped with its reason.</summary>
    public static readonly IReadOnlyList<(string Name, Func<FaultContext, Task<FaultResult>>? Run, string? Skip)> Scenarios =
    [
        ("postgres-outage", OutageScenarios.PostgresOutageAsync, null),
        ("rabbitmq-outage", OutageScenarios.RabbitMqOutageAsync, null),
        ("orchestrator-kill", ReplicaScenarios.OrchestratorKillAsync, null),
        ("webhooks-kill-mid-spool", ReplicaScenarios.WebhooksKillMidSpoolAsync, null),
        ("duplicate-storm", StormScenario.DuplicateStormAsync, null),
        ("frozen-replica", ReplicaScenarios.FrozenReplicaAsync, null),
        ("stop-vs-send", StopVsSendScenario.RunAsync, null),
        ("twilio-faults", TwilioFaultsScenario.RunAsync, null),
    ];

    public static async Task<int> RunAsync(Func<string, string, string> opt)
    {
        var only = opt("only", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = only.Where(n => Scenarios.All(s => s.Name != n)).ToList();
        if (unknown.Count > 0)
        {
            await Console.Error.WriteLineAsync($"unknown scenario(s): {string.Join(", ", unknown)}; known: {string.Join(", ", Scenarios.Select(s => s.Name))}");
            return 2;
        }

        await using var ctx = new FaultContext(opt);
        var results = new List<FaultResult>();
        foreach (var (name, run, skip) in Scenarios.Where(s => only.Length == 0 || only.Contains(s.Name)))
        {
            FaultResult result;
            if (run is null)
            {
                result = FaultResult.Skipped(name, skip!);
            }
            else if (!ctx.OwnInfra && name is "postgres-outage" or "rabbitmq-outage" or "webhooks-kill-mid-spool")
            {
                result = FaultResult.Skipped(name, "PostgreSQL and RabbitMQ are not this run's (RC_EXTERNAL_INFRA=1), so they are not stopped.");
            }
            else
            {
                var watch = Stopwatch.StartNew();
                if (!await ctx.StackReadyAsync())
                {
                    result = new FaultResult(name, false, "not started: the proxy did not answer ready on 5080–5082 within a minute.", "", [], watch.Elapsed);
                }
                else
                {
                    try
                    {
                        result = await run(ctx);
                    }
                    catch (Exception e) when (e is HookFailedException or Npgsql.NpgsqlException or HttpRequestException or InvalidOperationException)
                    {
                        result = new FaultResult(name, false, "stopped by an error: " + e.Message, "", [], watch.Elapsed);
                    }
                }
            }

            results.Add(result);
            Console.WriteLine(FaultReport.Line(result));
            foreach (var (figure, value) in result.Figures)
            {
                Console.WriteLine($"        {figure}: {value}");
            }
        }

        var started = DateTimeOffset.FromUnixTimeSeconds(long.Parse(opt("started", "0"), CultureInfo.InvariantCulture));
        var now = TimeProvider.System.GetUtcNow();
        var report = opt("report", "");
        if (report.Length > 0 && only.Length > 0)
        {
            // Note: the report holds one whole run; a run of some scenarios would replace it with a part of one.
            Console.WriteLine($"{report} not rewritten: only a run of every scenario is written there");
        }
        else if (report.Length > 0)
        {
            var run = new FaultRun(now, opt("load", "?"), opt("commit", "?"), now - started,
                string.Create(CultureInfo.InvariantCulture,
                    $"2 replicas of each service behind the proxy, Release build; loop clocks `Recovery__FirstAttemptTarget` 20 s, `Recovery__Sla` 45 s, `Recovery__AttemptSettleAfter` 20 s, `Postgres__IdleInTransactionTimeout` {ctx.IdleTimeout.TotalSeconds:0} s; the shop open all day; `RC_FAULT_PG_SECONDS={ctx.PgSeconds}`."),
                results);
            await File.WriteAllTextAsync(report, FaultReport.Replace(await File.ReadAllTextAsync(report), FaultReport.Render(run)));
            Console.WriteLine($"results written to {report}");
        }

        return results.Any(r => r.Passed == false) ? 1 : 0;
    }
}
