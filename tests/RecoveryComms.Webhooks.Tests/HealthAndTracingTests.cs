using System.Diagnostics;
using System.Net;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests;

public sealed class HealthTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    [Fact]
    public async Task Ready_WhenPostgresIsCut_TurnsRedWhileLiveStaysGreen()
    {
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/health/ready")).StatusCode);
        host.Postgres.Cut();
        try
        {
            await Eventually.ValueAsync(async () => (await host.Http.GetAsync("/health/ready")).StatusCode,
                status => status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10));
            Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            host.Postgres.Restore();
        }

        await Eventually.ValueAsync(async () => (await host.Http.GetAsync("/health/ready")).StatusCode,
            status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(10));
    }
}

public sealed class TracingTests(WebhooksHost host) : IClassFixture<WebhooksHost>, IDisposable
{
    // Stands in for the OpenTelemetry SDK of a deployment with an exporter: something listens, so spans exist.
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = _ => true,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    [Fact]
    public async Task Trace_FromTwilioRequestThroughOutbox_ReachesTheConsumer()
    {
        ActivitySource.AddActivityListener(_listener);
        host.Clock.Now = WebhooksHost.BusinessHours;
        var traceId = ActivityTraceId.CreateRandom();
        var call = new Calls(host);
        await call.IncomingAsync();
        KeyValuePair<string, string>[] form =
        [
            new("CallSid", call.CallSid), new("From", call.From), new("To", WebhooksHost.ShopLine), new("DialCallStatus", "no-answer"),
        ];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/twilio/voice/dial-complete") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", RecoveryComms.Telephony.Signatures.TwilioSignature.Compute(
            WebhooksHost.AuthToken, WebhooksHost.PublicBaseUrl + "/twilio/voice/dial-complete", form));
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");

        Assert.True((await host.Http.SendAsync(request)).IsSuccessStatusCode);

        var stored = await host.ScalarAsync<string>(
            "SELECT trace_parent FROM webhooks.outbox WHERE payload->>'callSid' = @CallSid", call);
        Assert.Contains(traceId.ToString(), stored, StringComparison.Ordinal);
        var missed = Assert.Single(await host.Events.WaitForAsync<MissedCallCaptured>(e => e.CallSid == call.CallSid));
        Assert.Contains(traceId.ToString(), host.Events.HeadersOf(missed), StringComparison.Ordinal);
    }

    public void Dispose() => _listener.Dispose();
}
