using System.Globalization;
using System.Text;

namespace RecoveryComms.LoadTest.Faults;

/// <summary>One scenario's outcome: <see cref="Passed"/> null means skipped (<see cref="Done"/> says why).</summary>
internal sealed record FaultResult(string Name, bool? Passed, string Done, string Counted, IReadOnlyList<KeyValuePair<string, string>> Figures, TimeSpan Duration)
{
    public string Verdict => Passed switch { true => "pass", false => "FAIL", null => "skipped" };

    public static FaultResult Skipped(string name, string why) => new(name, null, why, "", [], TimeSpan.Zero);
}

/// <summary>A whole run of the suite, as written into docs/reliability.md.</summary>
internal sealed record FaultRun(DateTimeOffset At, string Load, string Commit, TimeSpan Duration, string Settings, IReadOnlyList<FaultResult> Results);

/// <summary>
/// The suite's results as markdown, and their place in docs/reliability.md: between <see cref="Begin"/> and
/// <see cref="End"/> under a "Fault suite" heading. Everything outside the markers is hand-written and kept as it is.
/// </summary>
internal static class FaultReport
{
    public const string Begin = "<!-- faults:begin -->";
    public const string End = "<!-- faults:end -->";
    public const string Heading = "## Fault suite";

    /// <summary>The one line a scenario prints when it ends.</summary>
    public static string Line(FaultResult result) =>
        string.Create(CultureInfo.InvariantCulture, $"{result.Verdict,-7} {result.Name} ({Duration(result.Duration)})");

    public static string Render(FaultRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        var passed = run.Results.Count(r => r.Passed == true);
        var failed = run.Results.Count(r => r.Passed == false);
        var skipped = run.Results.Count(r => r.Passed is null);
        md.Append(inv, $"Last run: {run.At:yyyy-MM-dd HH:mm} UTC, commit {run.Commit}, total {Duration(run.Duration)} (build, start-up and scenarios); ")
          .Append(inv, $"{passed} passed, {failed} failed, {skipped} skipped.\n")
          .Append(inv, $"Load before the run (`uptime`): `{run.Load.Trim()}`.\n")
          .Append(inv, $"Settings: {run.Settings}\n\n")
          .Append("| scenario | result | duration |\n|---|---|---|\n");
        foreach (var r in run.Results)
        {
            md.Append(inv, $"| {r.Name} | {r.Verdict} | {Duration(r.Duration)} |\n");
        }

        foreach (var r in run.Results)
        {
            md.Append(inv, $"\n### {r.Name}: {r.Verdict}\n\n");
            if (r.Passed is null)
            {
                md.Append(inv, $"Skipped: {r.Done}\n");
                continue;
            }

            md.Append(inv, $"Done: {r.Done}\n\nCounted: {r.Counted}\n\n| figure | value |\n|---|---|\n");
            foreach (var (name, value) in r.Figures)
            {
                md.Append(inv, $"| {Cell(name)} | {Cell(value)} |\n");
            }

            md.Append(inv, $"\nCommand: `./infra/dev.sh faults {r.Name}`\n");
        }

        return md.ToString();
    }

    /// <summary>
    /// <paramref name="document"/> with <paramref name="section"/> between the markers; a document without them gets
    /// the heading and the markers appended at its end. Refuses a document with one marker, or with them out of order.
    /// </summary>
    public static string Replace(string document, string section)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(section);
        var begin = document.IndexOf(Begin, StringComparison.Ordinal);
        var end = document.IndexOf(End, StringComparison.Ordinal);
        var body = "\n" + section.TrimEnd('\n') + "\n";
        if (begin < 0 && end < 0)
        {
            var head = document.TrimEnd('\n');
            return head + (head.Length == 0 ? "" : "\n\n") + Heading + "\n\n" + Begin + body + End + "\n";
        }

        if (begin < 0 || end < begin || document.IndexOf(Begin, begin + Begin.Length, StringComparison.Ordinal) >= 0
            || document.IndexOf(End, end + End.Length, StringComparison.Ordinal) >= 0)
        {
            throw new InvalidOperationException($"the document must hold {Begin} once, followed by {End} once");
        }

        return document[..(begin + Begin.Length)] + body + document[end..];
    }

    public static string Duration(TimeSpan d) =>
        d.TotalMinutes >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalMinutes} min {d.Seconds} s")
            : string.Create(CultureInfo.InvariantCulture, $"{d.TotalSeconds:0.0} s");

    // A table cell holds no line break or pipe.
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
