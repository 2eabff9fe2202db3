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

        foreach (var call in calls)
        {
            Assert.Single(await host.Events.WaitForAsync<MissedCallCaptured>(e => e.CallSid == call.CallSid, timeout: TimeSpan.FromSeconds(60)));
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

        Assert.Single(await host.Events.WaitForAsync<MissedCallCaptured>(e => e.CallSid == call.CallSid, timeout: TimeSpan.FromSeconds(60)));
        Assert.Single(await host.Events.WaitForAsync<VoicemailCaptured>(e => e.RecordingSid == recordingSid, timeout: TimeSpan.FromSeconds(60)));
        Assert.Equal(2, await host.ScalarAsync<long>(
            "SELECT count(*) FROM webhooks.inbound_webhooks WHERE provider_sid = @CallSid AND spooled", call));
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
}
