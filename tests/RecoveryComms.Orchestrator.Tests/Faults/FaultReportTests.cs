using RecoveryComms.LoadTest.Faults;

namespace RecoveryComms.Orchestrator.Tests.Faults;

public sealed class FaultReportTests
{
    private static FaultRun Run(params FaultResult[] results) =>
        new(new DateTimeOffset(2026, 12, 1, 21, 0, 0, TimeSpan.Zero), " 21:00:00 up 1:00,  load average: 0.50, 0.40, 0.30\n", "abc1234",
            TimeSpan.FromSeconds(754), "2 replicas", results);

    private static readonly FaultResult Passed = new("postgres-outage", true, "PostgreSQL stopped.", "items per caller.",
        [new("callers with exactly one item", "60 of 60"), new("a | b", "line\nbreak")], TimeSpan.FromSeconds(421));

    [Fact]
    public void Render_ListsEveryScenario_WithItsVerdictFiguresAndCommand()
    {
        var failed = Passed with { Name = "rabbitmq-outage", Passed = false, Figures = [new("callers with exactly one item", "399 of 400")] };
        var md = FaultReport.Render(Run(Passed, failed, FaultResult.Skipped("twilio-faults", "no fault modes yet.")));

        Assert.Contains("Last run: 2026-12-01 21:00 UTC, commit abc1234, total 12 min 34 s", md, StringComparison.Ordinal);
        Assert.Contains("1 passed, 1 failed, 1 skipped", md, StringComparison.Ordinal);
        Assert.Contains("`21:00:00 up 1:00,  load average: 0.50, 0.40, 0.30`", md, StringComparison.Ordinal);
        Assert.Contains("| postgres-outage | pass | 7 min 1 s |", md, StringComparison.Ordinal);
        Assert.Contains("| rabbitmq-outage | FAIL | 7 min 1 s |", md, StringComparison.Ordinal);
        Assert.Contains("| twilio-faults | skipped | 0.0 s |", md, StringComparison.Ordinal);
        Assert.Contains("| callers with exactly one item | 399 of 400 |", md, StringComparison.Ordinal);
        Assert.Contains("Command: `./infra/dev.sh faults postgres-outage`", md, StringComparison.Ordinal);
        Assert.Contains("Skipped: no fault modes yet.", md, StringComparison.Ordinal);
        Assert.DoesNotContain("Command: `./infra/dev.sh faults twilio-faults`", md, StringComparison.Ordinal);
        // A figure never breaks the table.
        Assert.Contains("| a \\| b | line break |", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Line_SaysPassFailOrSkipped()
    {
        Assert.Equal("pass    postgres-outage (7 min 1 s)", FaultReport.Line(Passed));
        Assert.StartsWith("FAIL    postgres-outage", FaultReport.Line(Passed with { Passed = false }), StringComparison.Ordinal);
        Assert.StartsWith("skipped x", FaultReport.Line(FaultResult.Skipped("x", "why")), StringComparison.Ordinal);
    }

    [Fact]
    public void Replace_ChangesOnlyWhatIsBetweenTheMarkers()
    {
        const string Document = "# Reliability\n\nHand-written.\n\n## Fault suite\n\n<!-- faults:begin -->\nold run\n<!-- faults:end -->\n\nAfter, hand-written too.\n";

        var replaced = FaultReport.Replace(Document, "new run\n");

        Assert.Equal("# Reliability\n\nHand-written.\n\n## Fault suite\n\n<!-- faults:begin -->\nnew run\n<!-- faults:end -->\n\nAfter, hand-written too.\n", replaced);
        Assert.Equal(replaced, FaultReport.Replace(replaced, "new run"));
    }

    [Fact]
    public void Replace_AppendsTheHeadingAndMarkers_WhenTheDocumentHasNone()
    {
        Assert.Equal("# Reliability\n\nText.\n\n## Fault suite\n\n<!-- faults:begin -->\nrun\n<!-- faults:end -->\n",
            FaultReport.Replace("# Reliability\n\nText.\n\n", "run"));
    }

    [Theory]
    [InlineData("a <!-- faults:begin --> b")]
    [InlineData("a <!-- faults:end --> b <!-- faults:begin --> c")]
    [InlineData("<!-- faults:begin --> <!-- faults:end --> <!-- faults:begin --> <!-- faults:end -->")]
    public void Replace_RefusesMarkersThatDoNotPair(string document) =>
        Assert.Throws<InvalidOperationException>(() => FaultReport.Replace(document, "run"));
}
