using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using RecoveryComms.Hosting.Observability;
using RecoveryComms.Orchestrator.Tests.Queue;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Observability;

/// <summary>
/// Tracing on (an OTLP endpoint is set, nobody listens there) and, after the services' own pipeline, an exporter that
/// keeps every span each host would send to the trace backend.
/// </summary>
public sealed class TracingHost : LoopHost
{
    public ConcurrentQueue<Activity> Exported { get; } = new();

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9",
    };

    protected override void ConfigureTestServices(IServiceCollection services) =>
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new SimpleActivityExportProcessor(new Collector(Exported))));

    private sealed class Collector(ConcurrentQueue<Activity> into) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            foreach (var activity in batch)
            {
                into.Enqueue(activity);
            }

            return ExportResult.Success;
        }
    }
}

public sealed class TracePathTests(TracingHost host) : IClassFixture<TracingHost>
{
    [Fact]
    public async Task ConsentRead_ThroughTheOrchestrator_ExportsRouteTemplates_NeverThePhoneNumber()
    {
        var compliance = await host.UserAsync("compliance");
        await host.KnownToConsentAsync(compliance);
        var phone = LoopHost.NewPhone();
        var traceId = ActivityTraceId.CreateRandom();
        using var request = LoopHost.As(compliance.ApiKey, HttpMethod.Get, $"/api/consent/{phone}");
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");

        var sentAt = DateTime.UtcNow;
        using var response = await host.Orchestrator.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The orchestrator's server span (our trace id) and the consent service's, which the forwarder calls through
        // the test server's handler (no client span there, so a trace of its own).
        bool IsConsentSpan(Activity a) => a.Kind == ActivityKind.Server && a.StartTimeUtc >= sentAt && a.GetTagItem("http.route") as string == "/api/consent/{phone}";
        await Eventually.ValueAsync(
            () => Task.FromResult(host.Exported.ToList()),
            list => list.Any(a => a.TraceId == traceId && a.Kind == ActivityKind.Server) && list.Any(IsConsentSpan),
            TimeSpan.FromSeconds(20), "the request's spans exported");
        var digits = phone.TrimStart('+');
        // Every span exported so far, whichever host or test made it: none carries this test's number.
        foreach (var span in host.Exported)
        {
            Assert.DoesNotContain(digits, span.DisplayName, StringComparison.Ordinal);
            foreach (var (key, value) in span.TagObjects)
            {
                Assert.False(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)?.Contains(digits, StringComparison.Ordinal) == true,
                    $"{span.DisplayName}: {key} carries the phone number");
            }
        }

        // Both hosts' providers see every span in the process, so each span is collected twice: the same object.
        var orchestrator = Assert.Single(host.Exported.Where(a => a.TraceId == traceId && a.Kind == ActivityKind.Server).Distinct());
        Assert.Equal(("GET /api/consent/{**rest}", "/api/consent/{**rest}"), (orchestrator.DisplayName, orchestrator.GetTagItem("url.path") as string));
        Assert.Contains(host.Exported, a => IsConsentSpan(a) && a.DisplayName == "GET /api/consent/{phone}" && a.GetTagItem("url.path") as string == "/api/consent/{phone}");
    }

    [Fact]
    public void OnEnd_AnOutgoingRequestsUrl_LosesThePhoneAndTheQuery()
    {
        using var activity = new Activity("System.Net.Http.HttpRequestOut");
        activity.SetTag("url.full", "http://127.0.0.1:5082/api/consent/%2B13125550142?phone=%2B13125550142");

        using var spans = new RouteTemplateSpans();
        spans.OnEnd(activity);

        Assert.Equal("http://127.0.0.1:5082/api/consent/{phone}?Redacted", activity.GetTagItem("url.full"));
    }

    [Theory]
    [InlineData("/api/numbers/+13125550142/flags", "/api/numbers/{phone}/flags")]
    [InlineData("/api/numbers/%2B1%20312%20555%200142", "/api/numbers/{phone}")]
    [InlineData("/api/recoveries/7f0c2d3e-0000-4000-8000-000000000042/claim", "/api/recoveries/7f0c2d3e-0000-4000-8000-000000000042/claim")]
    [InlineData("/twilio/voice/incoming", "/twilio/voice/incoming")]
    public void RedactPath_ReplacesPhoneSegmentsOnly(string path, string expected) =>
        Assert.Equal(expected, RouteTemplateSpans.RedactPath(path));
}
