using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests.Metrics;

public sealed class MetricsTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    [Fact]
    public async Task Scrape_Anonymous_AnswersPrometheusTextWithTheOutboxAge()
    {
        var scrape = await PrometheusScrape.GetAsync(host.Http);

        Assert.StartsWith("text/plain", scrape.ContentType, StringComparison.Ordinal);
        Assert.Contains("recoverycomms_outbox_oldest_unpublished_seconds", scrape.Names);
        Assert.Equal([0.0], MeterReading.Observe(host.Services, "recoverycomms.outbox.oldest_unpublished"));
    }
}
