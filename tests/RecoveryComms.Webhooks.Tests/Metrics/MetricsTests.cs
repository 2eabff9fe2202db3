using System.Net.Http.Json;
using System.Text.Json;
using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests.Metrics;

public sealed class MetricsTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    [Fact]
    public async Task Scrape_Anonymous_AnswersPrometheusTextWithTheWebhooksFigures()
    {
        var scrape = await PrometheusScrape.GetAsync(host.Http);

        Assert.StartsWith("text/plain", scrape.ContentType, StringComparison.Ordinal);
        Assert.Contains("# TYPE recoverycomms_outbox_oldest_unpublished_seconds gauge", scrape.Text, StringComparison.Ordinal);
        Assert.Contains("recoverycomms_outbox_oldest_unpublished_seconds", scrape.Names);
        Assert.Contains("recoverycomms_spool_messages", scrape.Names);
        Assert.Contains("recoverycomms_journal_messages", scrape.Names);
        Assert.Contains("http_server_request_duration_seconds_count", scrape.Names);
    }

    [Fact]
    public async Task OutboxGauge_WithTheBrokerUnreachable_ReportsTheAgeOfTheOldestUnpublishedEvent()
    {
        host.RabbitMq.Cut();
        try
        {
            // An event that has waited 90 s for a broker that is away: the relay cannot publish it. Note: a readable
            // event (a harmless replay request) the relay can only publish; an unreadable one it moved to the dead
            // letters at once, broker or not, and the gauge read 0 in one CI run.
            await host.ScalarAsync<long>("""
                INSERT INTO webhooks.outbox (message_id, message_type, payload, created_at)
                VALUES (gen_random_uuid(), 'RecoveryComms.Contracts.Operations.ParkedMessagesReplayRequested', '{}'::jsonb, now() - interval '90 seconds')
                RETURNING id
                """);

            var age = Assert.Single(MeterReading.Observe(host.Services, "recoverycomms.outbox.oldest_unpublished"));
            Assert.InRange(age, 90, 3600);
        }
        finally
        {
            host.RabbitMq.Restore();
        }

        // Once the broker is back the relay publishes it and the age is 0 again.
        await Eventually.ValueAsync(() => Task.FromResult(MeterReading.Observe(host.Services, "recoverycomms.outbox.oldest_unpublished")),
            ages => ages.Count == 1 && ages[0] == 0, TimeSpan.FromSeconds(30), "the outbox drains");
    }

    private async Task BusConnectedAsync() =>
        await Eventually.ValueAsync(async () =>
        {
            using var response = await host.Http.GetAsync("/health/ready");
            var checks = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks");
            return checks.GetProperty("masstransit-bus").GetProperty("status").GetString();
        }, status => status == "Healthy", TimeSpan.FromSeconds(30), "the bus is connected (another test may have cut the broker)");

    [Fact]
    public async Task SpoolAndJournalGauges_DuringOutages_CountWhatWaits()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        await BusConnectedAsync();
        Assert.Equal([0], MeterReading.Observe(host.Services, "recoverycomms.spool.messages"));
        var spooled = new Calls(host);
        var journaled = new Calls(host);
        host.Postgres.Cut();
        try
        {
            await spooled.IncomingAsync();
            await spooled.DialCompleteAsync("no-answer");
            // A store that is slow rather than refused is spooled first and counted once it fails.
            await Eventually.ValueAsync(() => Task.FromResult(MeterReading.Observe(host.Services, "recoverycomms.spool.messages")),
                values => values.SequenceEqual([2.0]), TimeSpan.FromSeconds(10), "both webhooks counted as spooled");

            host.RabbitMq.Cut();
            await journaled.IncomingAsync();
            Assert.Equal([1], MeterReading.Observe(host.Services, "recoverycomms.journal.messages"));
        }
        finally
        {
            host.RabbitMq.Restore();
            host.Postgres.Restore();
        }

        await host.DrainedEventsAsync([spooled.CallSid], webhooks: 2, TimeSpan.FromSeconds(60));
        await Eventually.ValueAsync(
            () => Task.FromResult(MeterReading.Observe(host.Services, "recoverycomms.spool.messages").Concat(MeterReading.Observe(host.Services, "recoverycomms.journal.messages")).ToList()),
            values => values.SequenceEqual([0.0, 0.0]), TimeSpan.FromSeconds(60), "the spool and the journal are replayed");
    }
}
