using System.Globalization;
using System.Net;

namespace RecoveryComms.Testing;

/// <summary>One answer of <c>GET /metrics</c>, read as Prometheus text format: sample lines <c>name{labels} value</c>.</summary>
public sealed class PrometheusScrape
{
    private PrometheusScrape(string text, string? contentType)
    {
        Text = text;
        ContentType = contentType;
        Samples = [.. text.Split('\n')
            .Where(line => line.Length > 0 && line[0] != '#')
            .Select(line =>
            {
                var space = line.LastIndexOf(' ');
                var series = line[..space];
                var brace = series.IndexOf('{', StringComparison.Ordinal);
                return new Sample(brace < 0 ? series : series[..brace], brace < 0 ? "" : series[(brace + 1)..^1],
                    double.Parse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture));
            })];
    }

    public string Text { get; }

    public string? ContentType { get; }

    public IReadOnlyList<Sample> Samples { get; }

    /// <summary>The metric names that have at least one sample.</summary>
    public IReadOnlySet<string> Names => Samples.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The values of a metric's samples, whatever their labels.</summary>
    public IReadOnlyList<double> Values(string name) => [.. Samples.Where(s => s.Name == name).Select(s => s.Value)];

    public static async Task<PrometheusScrape> GetAsync(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"/metrics answered {(int)response.StatusCode}");
        }

        return new PrometheusScrape(await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.ToString());
    }

    public sealed record Sample(string Name, string Labels, double Value);
}
