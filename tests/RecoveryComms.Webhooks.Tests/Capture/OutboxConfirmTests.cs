using RecoveryComms.Contracts.Capture;
using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests.Capture;

// The relay counts an event as published only once the broker has confirmed it (publisher confirms). Without
// them a publish "succeeds" as soon as the bytes leave, and a broker that stops right then loses the event for good.
public sealed class OutboxConfirmTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    private Task<bool> UnpublishedAsync(string callSid) => host.ScalarAsync<bool>(
        "SELECT bool_or(published_at IS NULL) FROM webhooks.outbox WHERE payload->>'callSid' = @callSid", new { callSid });

    [Fact]
    public async Task Relay_WhenTheBrokerStopsWithMessagesInFlight_KeepsTheRowsUntilTheyAreConfirmed()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        // A first call crosses while the broker works, so the exchanges exist: publishing the second one then needs
        // no reply from the broker but its confirm.
        var first = new Calls(host);
        await first.IncomingAsync();
        await first.DialCompleteAsync("no-answer");
        await host.DrainedEventsAsync([first.CallSid], webhooks: 2, TimeSpan.FromSeconds(30));
        var call = new Calls(host);
        host.RabbitMq.Hold();

        await call.IncomingAsync();
        await call.DialCompleteAsync("no-answer");
        // The relay has tried: either it marked the row published (no confirm awaited) or its publish timed out.
        await Eventually.ValueAsync(
            async () => !await UnpublishedAsync(call.CallSid)
                || host.Logs.Entries.Any(e => e.Category.EndsWith("OutboxRelay", StringComparison.Ordinal) && e.Message.Contains("failed", StringComparison.Ordinal)),
            tried => tried, TimeSpan.FromSeconds(30), "the relay tried to publish");
        var keptWhileUnconfirmed = await UnpublishedAsync(call.CallSid);
        host.RabbitMq.Cut();
        host.RabbitMq.Restore();

        Assert.True(keptWhileUnconfirmed, "a row was marked published although the broker never confirmed it");
        var events = await host.DrainedEventsAsync([call.CallSid], webhooks: 2, TimeSpan.FromSeconds(60));
        Assert.IsType<MissedCallCaptured>(Assert.Single(events));
    }
}
