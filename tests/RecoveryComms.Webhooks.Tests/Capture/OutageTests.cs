using System.Net;
using System.Xml.Linq;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests.Capture;

// Each outage test cuts its own host's connection to the real server (TcpToggleProxy), so the servers stay up
// for the other tests running at the same time.
public sealed class BrokerOutageTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    [Fact]
    public async Task Webhooks_WhileRabbitMqIsDown_AreAcceptedAndTheirEventsArriveOnceItIsBack()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var calls = Enumerable.Range(0, 10).Select(_ => new Calls(host)).ToList();
        host.RabbitMq.Cut();
        try
        {
            foreach (var call in calls)
            {
                await call.IncomingAsync();
                var answer = await call.DialCompleteAsync("no-answer");
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            }

            Assert.Equal(10, await host.ScalarAsync<long>(
                "SELECT count(*) FROM webhooks.outbox WHERE published_at IS NULL AND payload->>'callSid' = ANY(@sids)",
                new { sids = calls.Select(c => c.CallSid).ToArray() }));
        }
        finally
        {
            host.RabbitMq.Restore();
        }

        var events = await host.DrainedEventsAsync(calls.Select(c => c.CallSid).ToList(), webhooks: 2 * calls.Count, TimeSpan.FromSeconds(60));
        foreach (var call in calls)
        {
            Assert.IsType<MissedCallCaptured>(Assert.Single(events, e => WebhooksHost.CallSidOf(e) == call.CallSid));
        }
    }
}

public sealed class DatabaseOutageTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    [Fact]
    public async Task Webhooks_WhilePostgresIsDown_AreSpooledToRabbitMqAndStoredOnceItIsBack()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var call = new Calls(host);
        var recordingSid = Sids.Recording();
        host.Postgres.Cut();
        try
        {
            var incoming = await call.IncomingAsync();
            Assert.NotNull(XDocument.Parse(await incoming.Content.ReadAsStringAsync()).Root!.Element("Dial"));
            Assert.Equal(HttpStatusCode.OK, (await call.DialCompleteAsync("no-answer")).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await call.RecordingAsync(recordingSid)).StatusCode);
            Assert.Equal(0, await host.StoredWebhooksAsync(call.CallSid));
        }
        finally
        {
            host.Postgres.Restore();
        }

        var events = await host.DrainedEventsAsync([call.CallSid], webhooks: 3, TimeSpan.FromSeconds(60));

        Assert.Single(events.OfType<MissedCallCaptured>());
        Assert.Equal(recordingSid, Assert.Single(events.OfType<VoicemailCaptured>()).RecordingSid);
        Assert.Equal(2, events.Count);
        Assert.Equal(2, await host.ScalarAsync<long>(
            "SELECT count(*) FROM webhooks.inbound_webhooks WHERE provider_sid = @CallSid AND spooled", call));
    }

    [Fact]
    public async Task ManyMissedCalls_WhilePostgresIsDown_AreEachPublishedAsMissed_WithTheirVoicemails()
    {
        // Every call: incoming → dial-complete no-answer → (every other call) a voicemail → status completed,
        // each callback after the previous one was answered, as Twilio sends them; eight calls at a time, so the
        // callbacks of different calls interleave on the spool.
        host.Clock.Now = WebhooksHost.BusinessHours;
        var calls = Enumerable.Range(0, 48).Select(i => (Call: new Calls(host), Recording: i % 2 == 0 ? Sids.Recording() : null)).ToList();
        using var eightAtATime = new SemaphoreSlim(8);
        host.Postgres.Cut();
        try
        {
            await Task.WhenAll(calls.Select(async flow =>
            {
                await eightAtATime.WaitAsync();
                try
                {
                    await flow.Call.IncomingAsync();
                    await flow.Call.DialCompleteAsync("no-answer");
                    if (flow.Recording is { } recordingSid)
                    {
                        await flow.Call.RecordingAsync(recordingSid);
                    }

                    await flow.Call.StatusAsync("completed", sequence: 3, duration: 40);
                }
                finally
                {
                    eightAtATime.Release();
                }
            }));
        }
        finally
        {
            host.Postgres.Restore();
        }

        var events = await host.DrainedEventsAsync(calls.Select(f => f.Call.CallSid).ToList(),
            webhooks: calls.Sum(f => f.Recording is null ? 3 : 4), TimeSpan.FromSeconds(120));

        foreach (var (call, recording) in calls)
        {
            var kinds = events.Where(e => WebhooksHost.CallSidOf(e) == call.CallSid).Select(e => e.GetType().Name).Order(StringComparer.Ordinal);
            Assert.Equal(recording is null ? ["MissedCallCaptured"] : ["MissedCallCaptured", "VoicemailCaptured"], kinds);
        }
    }
}

public sealed class OutageLogTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    [Fact]
    public async Task PostgresOutage_IsLoggedOnceWhenItStartsAndOnceWhenItEnds_WithCounts_NoStackTracesAndNoFullNumbers()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var calls = Enumerable.Range(0, 10).Select(_ => new Calls(host)).ToList();
        host.Postgres.Cut();
        try
        {
            foreach (var call in calls)
            {
                await call.IncomingAsync();
            }
        }
        finally
        {
            host.Postgres.Restore();
        }

        // The first webhook stored directly once PostgreSQL is back ends the outage (a pooled connection that the
        // cut broke may still fail once, so each try is a fresh call).
        await Eventually.ValueAsync(async () =>
        {
            var after = new Calls(host);
            calls.Add(after);
            await after.IncomingAsync();
            return host.Logs.Entries.Count(e => e.Message.StartsWith("PostgreSQL outage over", StringComparison.Ordinal));
        }, ended => ended > 0, TimeSpan.FromSeconds(30), "the end of the outage is logged");

        var capture = host.Logs.Entries.Where(e => e.Category.StartsWith("RecoveryComms.Webhooks", StringComparison.Ordinal)).ToList();
        Assert.Single(capture, e => e.Message.StartsWith("PostgreSQL outage:", StringComparison.Ordinal));
        var ended = Assert.Single(capture, e => e.Message.StartsWith("PostgreSQL outage over", StringComparison.Ordinal));
        Assert.InRange(Convert.ToInt32(ended.Values["Spooled"], System.Globalization.CultureInfo.InvariantCulture), 10, calls.Count);
        Assert.Equal(0, Convert.ToInt32(ended.Values["Lost"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.DoesNotContain(capture, e => e.Exception is not null);
        foreach (var number in calls.Select(c => c.From.TrimStart('+')))
        {
            Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains(number, StringComparison.Ordinal)
                || (e.Exception?.ToString().Contains(number, StringComparison.Ordinal) ?? false));
        }
    }
}

public sealed class TotalOutageTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    [Fact]
    public async Task Webhooks_WithPostgresAndRabbitMqBothDown_PhonesStillRingAndCallbacksGet503()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var call = new Calls(host);
        host.Postgres.Cut();
        host.RabbitMq.Cut();
        try
        {
            var incoming = await call.IncomingAsync();
            var dialComplete = await call.DialCompleteAsync("no-answer");
            var status = await host.Twilio.PostAsync("/twilio/voice/status",
                ("CallSid", call.CallSid), ("CallStatus", "completed"), ("From", call.From), ("To", WebhooksHost.ShopLine));

            Assert.NotNull(XDocument.Parse(await incoming.Content.ReadAsStringAsync()).Root!.Element("Dial"));
            Assert.NotNull(XDocument.Parse(await dialComplete.Content.ReadAsStringAsync()).Root!.Element("Record"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status.StatusCode);
        }
        finally
        {
            host.RabbitMq.Restore();
            host.Postgres.Restore();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task VoiceWebhooks_WithPostgresAndRabbitMqBothDown_AreAnsweredAtOnceAndKept_SoTheCallIsPublishedAsMissed(bool open)
    {
        host.Clock.Now = open ? WebhooksHost.BusinessHours : WebhooksHost.AfterHours;
        var first = new Calls(host);
        var call = new Calls(host);
        host.Postgres.Cut();
        host.RabbitMq.Cut();
        try
        {
            // The first webhook finds both down; from then on nothing waits on either.
            await first.IncomingAsync();

            var incoming = await Timed(call.IncomingAsync);
            Assert.True(incoming.Elapsed < TimeSpan.FromSeconds(1.5), $"incoming answered after {incoming.Elapsed.TotalMilliseconds:F0} ms");
            var twiml = XDocument.Parse(await incoming.Response.Content.ReadAsStringAsync()).Root!;
            Assert.NotNull(open ? twiml.Element("Dial") : twiml.Element("Record"));
            if (open)
            {
                var dialComplete = await Timed(() => call.DialCompleteAsync("no-answer"));
                Assert.True(dialComplete.Elapsed < TimeSpan.FromSeconds(1.5), $"dial-complete answered after {dialComplete.Elapsed.TotalMilliseconds:F0} ms");
                Assert.NotNull(XDocument.Parse(await dialComplete.Response.Content.ReadAsStringAsync()).Root!.Element("Record"));
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await call.TryStatusAsync("completed", 4, duration: 40)).StatusCode);
        }
        finally
        {
            host.RabbitMq.Restore();
            host.Postgres.Restore();
        }

        // Twilio retries the status callback (#rc=3&rp=ct,rt,5xx) until it is kept.
        await Eventually.ValueAsync(async () => (await call.TryStatusAsync("completed", 4, duration: 40)).IsSuccessStatusCode, kept => kept,
            TimeSpan.FromSeconds(60), "the status callback is kept once PostgreSQL and RabbitMQ are back");

        var events = await host.DrainedEventsAsync([call.CallSid], webhooks: open ? 3 : 2, TimeSpan.FromSeconds(60));
        var missed = Assert.IsType<MissedCallCaptured>(Assert.Single(events));
        Assert.Equal(open ? "no-answer" : "after-hours", missed.Reason);
        Assert.Equal(call.From, missed.Caller);
    }

    private static async Task<(HttpResponseMessage Response, TimeSpan Elapsed)> Timed(Func<Task<HttpResponseMessage>> send)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var response = await send();
        return (response, watch.Elapsed);
    }
}
