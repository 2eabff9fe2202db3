using System.Globalization;
using System.Xml.Linq;
using MassTransit;
using RecoveryComms.Contracts.Settings;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests.FrontDoor;

/// <summary>
/// The front door follows the hours, zone and ring group a manager saves in the console: the orchestrator's
/// <see cref="ShopSettingsChanged"/> events arrive over the real broker, the copy is kept in this service's schema,
/// and an older version never overwrites a newer one.
/// </summary>
public sealed class ShopSettingsTests(WebhooksHost host) : IClassFixture<WebhooksHost>, IAsyncLifetime
{
    private IBusControl _publisher = null!;

    public async Task InitializeAsync()
    {
        var rabbit = await TestInfrastructure.RabbitMqAsync();
        _publisher = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(rabbit);
            cfg.MessageTopology.SetEntityNameFormatter(new PrefixedEntityNameFormatter(cfg.MessageTopology.EntityNameFormatter, host.Prefix));
        });
        await _publisher.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
    }

    public Task DisposeAsync() => _publisher.StopAsync();

    private static Dictionary<string, string?> Week(string? wednesday) => new()
    {
        ["monday"] = "08:00-18:00", ["tuesday"] = "08:00-18:00", ["wednesday"] = wednesday, ["thursday"] = "08:00-18:00",
        ["friday"] = "08:00-18:00", ["saturday"] = "09:00-13:00", ["sunday"] = null,
    };

    private Task PublishAsync(long version, string? wednesday, params string[] ringGroup) =>
        _publisher.Publish(new ShopSettingsChanged(Guid.NewGuid(), version, "America/Chicago", Week(wednesday), ringGroup, "Maria", DateTimeOffset.UtcNow));

    private Task<long> StoredVersionAsync() => host.ScalarAsync<long>("SELECT coalesce(max(version), 0) FROM webhooks.shop_settings");

    /// <summary>The TwiML of a new incoming call now: the numbers dialled (empty when the caller is greeted and recorded).</summary>
    private async Task<IReadOnlyList<string>> RungAsync(TwilioWebhookClient? via = null)
    {
        var response = await new Calls(host, via: via).IncomingAsync();
        var twiml = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
        return twiml.Element("Dial") is { } dial ? [.. dial.Elements("Number").Select(n => n.Value)] : [];
    }

    private Task<IReadOnlyList<string>> RungWhenAsync(Func<IReadOnlyList<string>, bool> done, string because) =>
        Eventually.ValueAsync(() => RungAsync(), done, TimeSpan.FromSeconds(20), because);

    [Fact]
    public async Task Incoming_FollowsTheSavedRingGroupAndHours_WithoutARestart()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var version = await StoredVersionAsync();

        await PublishAsync(version + 1, "08:00-18:00", "+13125550177", "+13125550178");
        var rung = await RungWhenAsync(numbers => numbers.Contains("+13125550177"), "the saved ring group is rung");

        await PublishAsync(version + 2, null, "+13125550177", "+13125550178");
        await RungWhenAsync(numbers => numbers.Count == 0, "Wednesday is now closed: the caller is greeted");
        var response = await new Calls(host).IncomingAsync();
        var twiml = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;

        Assert.Equal(["+13125550177", "+13125550178"], rung);
        Assert.Null(twiml.Element("Dial"));
        Assert.StartsWith("Thanks for calling. We are closed right now.", twiml.Element("Say")!.Value, StringComparison.Ordinal);
        Assert.NotNull(twiml.Element("Record"));
        Assert.Equal(version + 2, await StoredVersionAsync());
    }

    [Fact]
    public async Task OlderVersion_NeverOverwritesANewerCopy()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var version = await StoredVersionAsync();
        await PublishAsync(version + 2, "08:00-18:00", "+13125550166");
        await RungWhenAsync(numbers => numbers.SequenceEqual(["+13125550166"]), "version +2 is in force");

        await PublishAsync(version + 1, null, "+13125550155");
        var ignored = (version + 1).ToString(CultureInfo.InvariantCulture);
        await Eventually.ValueAsync(() => Task.FromResult(host.Logs.Entries.Any(e => e.Message == $"Shop settings version {ignored} ignored: the stored copy is that new or newer")),
            seen => seen, TimeSpan.FromSeconds(20), "the older event was consumed");

        Assert.Equal(["+13125550166"], await RungAsync());
        Assert.Equal(version + 2, await StoredVersionAsync());
        Assert.Equal(["+13125550166"], await host.QueryAsync<string>("SELECT unnest(ring_group) FROM webhooks.shop_settings"));
    }

    [Fact]
    public async Task AReplicaStartedLater_LoadsTheStoredCopy_AndFollowsChangesAnotherReplicaConsumed()
    {
        host.Clock.Now = WebhooksHost.BusinessHours;
        var version = await StoredVersionAsync();
        await PublishAsync(version + 1, "08:00-18:00", "+13125550188");
        await RungWhenAsync(numbers => numbers.SequenceEqual(["+13125550188"]), "the first replica applied it");

        var (factory, replica) = await host.StartReplicaAsync();
        try
        {
            // The event was consumed before this replica existed: only its stored copy can tell it.
            var atStart = await RungAsync(replica);
            await PublishAsync(version + 2, "08:00-18:00", "+13125550189");
            var first = await RungWhenAsync(numbers => numbers.SequenceEqual(["+13125550189"]), "the first replica follows version +2");
            var second = await Eventually.ValueAsync(() => RungAsync(replica), numbers => numbers.SequenceEqual(["+13125550189"]),
                TimeSpan.FromSeconds(20), "the started replica follows version +2");

            Assert.Equal(["+13125550188"], atStart);
            Assert.Equal(first, second);
        }
        finally
        {
            await factory.DisposeAsync();
        }
    }
}
