using System.Net;
using System.Net.Http.Json;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests.Capture;

// The outbox relay lives in RecoveryComms.Hosting; every service runs the same one, tested here on the webhooks schema.
public sealed class OutboxRelayTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    private Task InsertRowAsync(string type, string payload) =>
        host.ScalarAsync<long>(
            "INSERT INTO webhooks.outbox (message_id, message_type, payload) VALUES (gen_random_uuid(), @type, @payload::jsonb) RETURNING id",
            new { type, payload });

    private Task<HttpStatusCode> ReadyAsync() =>
        host.Http.GetAsync("/health/ready").ContinueWith(t => t.Result.StatusCode, TaskScheduler.Default);

    [Fact]
    public async Task UnreadableRows_AreMovedToTheDeadLetters_AndTheEventsBehindThemStillLeave()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var unknownType = "RecoveryComms.Contracts.Capture.NoSuchEvent" + Guid.NewGuid().ToString("N");
        var marker = Guid.NewGuid().ToString("N");
        var wrongShape = $$"""{"callSid": {"not": "a string"}, "marker": "{{marker}}"}""";
        await InsertRowAsync(unknownType, "{}");
        await InsertRowAsync(typeof(MissedCallCaptured).FullName!, wrongShape);
        var call = new Calls(host);

        await call.IncomingAsync();
        await call.DialCompleteAsync("no-answer");

        // Drained means the call's own outbox row is marked published: a batch that fails on a bad row publishes the
        // good ones and rolls back, again and again, so without the dead letters it never is (and they repeat).
        var events = await host.DrainedEventsAsync([call.CallSid], webhooks: 2, TimeSpan.FromSeconds(30));
        Assert.IsType<MissedCallCaptured>(Assert.Single(events));
        var dead = await host.QueryAsync<(string MessageType, string Error)>(
            "SELECT message_type, error FROM webhooks.outbox_dead_letters WHERE message_type = @unknownType OR payload->>'marker' = @marker ORDER BY outbox_id",
            new { unknownType, marker });
        Assert.Equal([unknownType, typeof(MissedCallCaptured).FullName!], dead.Select(d => d.MessageType));
        Assert.All(dead, d => Assert.NotEmpty(d.Error));
        Assert.Equal(0, await host.ScalarAsync<long>("SELECT count(*) FROM webhooks.outbox WHERE published_at IS NULL"));
        Assert.Equal(HttpStatusCode.OK, await ReadyAsync());
    }

    // Note: on the webhooks service a failing relay is Degraded only, however long it lasts: Twilio is still answered
    // and the events wait in the outbox. The 503 past Outbox:UnhealthyAfter is tested on the orchestrator (ReadinessTests).
    [Fact]
    public async Task Readiness_WhenTheRelayFailsLongerThanTheThreshold_SaysDegradedAndStaysReady()
    {
        Assert.Equal(HttpStatusCode.OK, await ReadyAsync());

        // The relay alone loses its table: PostgreSQL and RabbitMQ stay up, so only the relay's check can change.
        await host.ScalarAsync<int>("ALTER TABLE webhooks.outbox RENAME TO outbox_away; SELECT 1");
        try
        {
            var failing = await Eventually.ValueAsync(OutboxCheckAsync, check => check.Description?.Contains("failing for", StringComparison.Ordinal) == true,
                WebhooksHost.OutboxUnhealthyAfter + TimeSpan.FromSeconds(20), "the relay has failed longer than the threshold");
            Assert.Equal((HttpStatusCode.OK, "Degraded"), (failing.Status, failing.Check));
        }
        finally
        {
            await host.ScalarAsync<int>("ALTER TABLE webhooks.outbox_away RENAME TO outbox; SELECT 1");
        }

        await Eventually.ValueAsync(OutboxCheckAsync, check => check.Check == "Healthy", TimeSpan.FromSeconds(20), "the relay recovers");
    }

    private async Task<(HttpStatusCode Status, string? Check, string? Description)> OutboxCheckAsync()
    {
        using var response = await host.Http.GetAsync("/health/ready");
        var outbox = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("checks").GetProperty("outbox");
        return (response.StatusCode, outbox.GetProperty("status").GetString(),
            outbox.TryGetProperty("description", out var description) ? description.GetString() : null);
    }
}
