using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RecoveryComms.Testing;
using RecoveryComms.Webhooks;

namespace RecoveryComms.Orchestrator.Tests.Offline;

/// <summary>Alone, so the process-wide listener hears only this test's hosts.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OutboundConnectionsAlone
{
    public const string Name = "outbound connections";
}

/// <summary>
/// The services are self-hosted and run offline: each of the three hosts opens connections to PostgreSQL, RabbitMQ and the other
/// configured addresses, and to nothing else (MassTransit 8.4+ reports usage telemetry to its vendor by default).
/// </summary>
[Collection(OutboundConnectionsAlone.Name)]
public sealed class OutboundConnectionTests
{
    /// <summary>
    /// Note: MassTransit's usage report waits at least 30 s after the bus starts, or goes out at shutdown when asked to;
    /// the hosts ask for the latter (only when, not whether), so the test sees a report within its own life.
    /// </summary>
    private sealed class ReportingAtShutdownHost : ServicesHost
    {
        public static void ReportAtShutdown(IWebHostBuilder web) =>
            web.ConfigureTestServices(services => services.PostConfigure<UsageTelemetryOptions>(options => options.ReportOnShutdown = true));

        protected override void ConfigureOrchestrator(IWebHostBuilder web) => ReportAtShutdown(web);

        protected override void ConfigureConsent(IWebHostBuilder web) => ReportAtShutdown(web);
    }

    [Fact]
    public async Task ServiceHosts_FromStartToShutdown_ConnectOnlyToTheConfiguredAddresses()
    {
        using var listener = new OutboundListener();
        var host = new ReportingAtShutdownHost();
        await host.InitializeAsync();
        var journal = Path.Combine(Path.GetTempPath(), $"rc-outbound-{Guid.NewGuid():N}.jsonl");
        WebApplicationFactory<WebhooksEntryPoint>? webhooks = null;
        string[] configured;
        try
        {
            var postgres = new NpgsqlConnectionStringBuilder(host.Database.ConnectionString).Host!;
            var rabbitUri = await TestInfrastructure.RabbitMqAsync();
            var rabbit = rabbitUri.Host;
            // Twilio's default API host is configured too (ServicesHost sets no sandbox); nothing here calls it.
            configured = ["localhost", postgres, rabbit, "api.twilio.com"];
            // The webhooks service too, on the same database and broker: the third host of the system.
            webhooks = new WebApplicationFactory<WebhooksEntryPoint>().WithWebHostBuilder(web =>
            {
                web.UseTestInfrastructure(host.Database.ConnectionString, rabbitUri, host.Prefix);
                web.UseSetting("Twilio:AccountSid", "AC00000000000000000000000000000001");
                web.UseSetting("Twilio:AuthToken", "test-auth-token");
                web.UseSetting("Twilio:PublicBaseUrl", "https://hooks.shop.test");
                web.UseSetting("Business:TimeZone", "America/Chicago");
                web.UseSetting("Webhooks:RingGroup:0", "+13125550100");
                web.UseSetting("Webhooks:JournalPath", journal);
                ReportingAtShutdownHost.ReportAtShutdown(web);
            });
            using var webhooksClient = webhooks.CreateClient();
            Assert.True((await host.Orchestrator.GetAsync("/health/ready")).IsSuccessStatusCode);
            Assert.True((await host.Consent.GetAsync("/health/ready")).IsSuccessStatusCode);
            await Eventually.ValueAsync(async () => (await webhooksClient.GetAsync("/health/ready")).IsSuccessStatusCode, ready => ready,
                TimeSpan.FromSeconds(60), "the webhooks service ready");
        }
        finally
        {
            if (webhooks is not null)
            {
                await webhooks.DisposeAsync();
            }

            await host.DisposeAsync();
            File.Delete(journal);
        }

        var allowedAddresses = new HashSet<IPAddress>();
        foreach (var name in configured)
        {
            allowedAddresses.UnionWith(IPAddress.TryParse(name, out var literal) ? [literal] : await AddressesAsync(name));
        }

        var unexpected = listener.Targets
            .Where(target => !configured.Contains(target, StringComparer.OrdinalIgnoreCase))
            .Where(target => !(IPAddress.TryParse(target, out var address) && (IPAddress.IsLoopback(address) || allowedAddresses.Contains(address))))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
        Assert.True(listener.Targets.Count > 0, "the listener heard the hosts' own connections (PostgreSQL, RabbitMQ)");
        Assert.True(unexpected.Count == 0, $"connections to unconfigured destinations: {string.Join(", ", unexpected)}");
    }

    private static async Task<IPAddress[]> AddressesAsync(string name)
    {
        try
        {
            return await Dns.GetHostAddressesAsync(name);
        }
        catch (SocketException)
        {
            return [];
        }
    }

    /// <summary>
    /// Every destination the process reaches for: HTTP requests (scheme, host), name resolutions and socket connects
    /// (the address), from the runtime's own event sources, whatever client library is behind them.
    /// </summary>
    private sealed class OutboundListener : EventListener
    {
        private readonly ConcurrentQueue<string> _targets = new();

        public IReadOnlyCollection<string> Targets => _targets;

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name is "System.Net.Http" or "System.Net.NameResolution" or "System.Net.Sockets")
            {
                EnableEvents(eventSource, EventLevel.Informational);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            // Note: the base constructor raises OnEventSourceCreated (and events may follow) before this instance's
            // constructor body has run, but field initialisers run first, so the queue already exists.
            var payload = eventData.PayloadNames is { } names && eventData.Payload is { } values
                ? names.Zip(values).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal)
                : [];
            switch (eventData.EventName)
            {
                case "RequestStart" when payload.TryGetValue("host", out var host):
                    _targets.Enqueue(Convert.ToString(host, CultureInfo.InvariantCulture) ?? "");
                    break;
                case "ResolutionStart" when payload.TryGetValue("hostNameOrAddress", out var name):
                    _targets.Enqueue(Convert.ToString(name, CultureInfo.InvariantCulture) ?? "");
                    break;
                case "ConnectStart" when payload.TryGetValue("address", out var address):
                    _targets.Enqueue(SocketTarget(Convert.ToString(address, CultureInfo.InvariantCulture) ?? ""));
                    break;
            }
        }

        /// <summary>
        /// The IP address in a SocketAddress's text (<c>InterNetwork:16:{0,80,127,0,0,1,…}</c>: the bytes after the
        /// family, so port then address); the text itself when it is anything else, so it is reported, not ignored.
        /// </summary>
        private static string SocketTarget(string text)
        {
            var open = text.IndexOf('{', StringComparison.Ordinal);
            if (open < 0 || !text.EndsWith('}'))
            {
                return text;
            }

            var bytes = text[(open + 1)..^1].Split(',').Select(b => byte.TryParse(b.Trim(), CultureInfo.InvariantCulture, out var v) ? (int)v : -1).ToArray();
            if (bytes.Any(b => b < 0))
            {
                return text;
            }

            var b8 = bytes.Select(b => (byte)b).ToArray();
            return text.StartsWith("InterNetworkV6:", StringComparison.Ordinal) && b8.Length >= 22 ? new IPAddress(b8[6..22]).ToString()
                : text.StartsWith("InterNetwork:", StringComparison.Ordinal) && b8.Length >= 6 ? new IPAddress(b8[2..6]).ToString()
                : text;
        }
    }
}
