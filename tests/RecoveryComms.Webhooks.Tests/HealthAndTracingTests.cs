using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests;

public sealed class HealthTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> ReadyAsync()
    {
        using var response = await host.Http.GetAsync("/health/ready");
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static string? Check(JsonElement body, string name) => body.GetProperty("checks").GetProperty(name).GetProperty("status").GetString();

    // Note: the webhooks service answers Twilio from the spool and the journal while PostgreSQL is away; a load
    // balancer that took every replica out then would leave Twilio nobody to talk to.
    [Fact]
    public async Task Ready_WhenPostgresIsCut_StaysReadyAndSaysDegraded()
    {
        var (status, body) = await ReadyAsync();
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        host.Postgres.Cut();
        try
        {
            (status, body) = await Eventually.ValueAsync(ReadyAsync, ready => Check(ready.Body, "postgres") == "Degraded", TimeSpan.FromSeconds(10));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("Degraded", body.GetProperty("status").GetString());
            Assert.Equal("PostgreSQL does not answer", body.GetProperty("checks").GetProperty("postgres").GetProperty("description").GetString());
            Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            host.Postgres.Restore();
        }

        await Eventually.ValueAsync(ReadyAsync, ready => ready.Status == HttpStatusCode.OK && ready.Body.GetProperty("status").GetString() == "Healthy",
            TimeSpan.FromSeconds(30), "readiness is Healthy again");
    }

    [Fact]
    public async Task Ready_WhenTheJournalFolderCannotBeWritten_TurnsRed()
    {
        Assert.Equal(HttpStatusCode.OK, (await ReadyAsync()).Status);
        // A file where the folder was: no write there succeeds, whoever runs the test (root included), as with a
        // volume that is gone.
        Directory.Delete(host.JournalFolder, recursive: true);
        await File.WriteAllTextAsync(host.JournalFolder, "");
        try
        {
            var (status, body) = await ReadyAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("Unhealthy", Check(body, "journal"));
        }
        finally
        {
            File.Delete(host.JournalFolder);
        }

        Assert.Equal(HttpStatusCode.OK, (await ReadyAsync()).Status);
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
