using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Queue;

/// <summary>
/// The console re-fetches an item's detail when the live feed sends <c>event: item</c> for it. Each change the console
/// shows must send one: both legs of a call as they ring, connect and end, an SMS's delivery, and a STOP.
/// </summary>
public sealed class LiveStateTests(LoopHost host) : IClassFixture<LoopHost>
{
    /// <summary>The ids of the items the feed announces, in order, read in the background until disposed.</summary>
    private sealed class Feed : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Channel<Guid> _items = Channel.CreateUnbounded<Guid>();
        private HttpResponseMessage? _response;
        private Task? _reader;

        public static async Task<Feed> OpenAsync(LoopHost host, LoopHost.User user)
        {
            var feed = new Feed();
            feed._response = await host.Orchestrator.SendAsync(LoopHost.As(user.ApiKey, HttpMethod.Get, "/api/stream"), HttpCompletionOption.ResponseHeadersRead);
            var reader = new StreamReader(await feed._response.Content.ReadAsStreamAsync());
            Assert.Equal("event: ready", await reader.ReadLineAsync());
            feed._reader = Task.Run(async () =>
            {
                string? name = null;
                while (await reader.ReadLineAsync(feed._stop.Token) is { } line)
                {
                    if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        name = line["event: ".Length..];
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal) && name == "item")
                    {
                        feed._items.Writer.TryWrite(JsonDocument.Parse(line["data: ".Length..]).RootElement.GetProperty("id").GetGuid());
                    }
                }
            });
            return feed;
        }

        /// <summary>Waits for the next event about <paramref name="itemId"/>.</summary>
        public async Task NextAsync(Guid itemId, string because)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                while (await _items.Reader.ReadAsync(timeout.Token) != itemId)
                {
                }
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"no item event after {because}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _response?.Dispose();
            try
            {
                await (_reader ?? Task.CompletedTask);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // The feed was closed under the reader.
            }

            _stop.Dispose();
        }
    }

    private Task ReportAsync(string callSid, string? parent, string status) =>
        host.PublishAsync(new CallbackAttemptStatusReported(Guid.NewGuid(), callSid, parent, status, null, null, null, LoopHost.ShopLine, false, host.Clock.Now));

    private async Task<JsonElement> AttemptAsync(LoopHost.User user, Guid itemId) =>
        (await host.DetailAsync(user, itemId)).GetProperty("callAttempts").EnumerateArray().Last();

    [Fact]
    public async Task EveryLegStatus_SendsAnItemEvent_ThatTheDetailReflects()
    {
        var csr = await host.UserAsync("csr", LoopHost.NewPhone());
        var phone = LoopHost.NewPhone();
        await using var feed = await Feed.OpenAsync(host, csr);
        await host.MissAsync(phone);
        var itemId = (await host.ItemOfAsync(csr, phone)).GetProperty("id").GetGuid();
        // Each change below is awaited on the feed before the next is made, so every event is the one its change caused.
        await feed.NextAsync(itemId, "the item was created");
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/claim")).StatusCode);
        await feed.NextAsync(itemId, "the claim");
        var call = await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/call"));
        var csrLeg = call.GetProperty("csrCallSid").GetString()!;
        await feed.NextAsync(itemId, "the call was placed");
        var customerLeg = LoopHost.NewSid("CA");

        foreach (var (sid, parent, status, leg) in new[]
        {
            (csrLeg, (string?)null, "ringing", "csrLegStatus"),
            (csrLeg, null, "in-progress", "csrLegStatus"),
            (customerLeg, csrLeg, "ringing", "customerLegStatus"),
            (customerLeg, csrLeg, "in-progress", "customerLegStatus"),
            (customerLeg, csrLeg, "completed", "customerLegStatus"),
            (csrLeg, null, "completed", "csrLegStatus"),
        })
        {
            await ReportAsync(sid, parent, status);
            await feed.NextAsync(itemId, $"the {leg} became {status}");
            Assert.Equal(status, (await AttemptAsync(csr, itemId)).GetProperty(leg).GetString());
        }

        Assert.Equal("answered", (await AttemptAsync(csr, itemId)).GetProperty("result").GetString());
    }

    [Fact]
    public async Task CsrLegCompletedBeforeTheCustomerLeg_AndNoAnswer_SendItemEvents()
    {
        var csr = await host.UserAsync("csr", LoopHost.NewPhone());
        var phone = LoopHost.NewPhone();
        await using var feed = await Feed.OpenAsync(host, csr);
        await host.MissAsync(phone);
        var itemId = (await host.ItemOfAsync(csr, phone)).GetProperty("id").GetGuid();
        // Each change below is awaited on the feed before the next is made, so every event is the one its change caused.
        await feed.NextAsync(itemId, "the item was created");
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/claim")).StatusCode);
        await feed.NextAsync(itemId, "the claim");
        var csrLeg = (await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/call"))).GetProperty("csrCallSid").GetString()!;
        await feed.NextAsync(itemId, "the call was placed");

        await ReportAsync(csrLeg, null, "completed");
        await feed.NextAsync(itemId, "the CSR's leg completed first");
        Assert.Equal("completed", (await AttemptAsync(csr, itemId)).GetProperty("csrLegStatus").GetString());
        await ReportAsync(LoopHost.NewSid("CA"), csrLeg, "no-answer");
        await feed.NextAsync(itemId, "the customer did not answer");
        Assert.Equal("no-answer", (await AttemptAsync(csr, itemId)).GetProperty("result").GetString());
    }

    [Fact]
    public async Task SmsDelivery_AndStop_SendItemEvents()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);
        var sent = await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/sms",
            new { windowA = "today 2-4 pm", windowB = "tomorrow 8-10 am" }));
        // The send's own events (requested, sent) are behind us once the timeline shows the result.
        await Eventually.ValueAsync(() => host.DetailAsync(csr, itemId), d => d.GetProperty("timeline").EnumerateArray().Any(t => t.GetProperty("kind").GetString() == "sms-result"),
            TimeSpan.FromSeconds(20), "the SMS result is recorded");
        await using var feed = await Feed.OpenAsync(host, csr);

        await host.PublishAsync(new MessageStatusReported(Guid.NewGuid(), sent.GetProperty("messageSid").GetString()!, "delivered", null, null, phone, LoopHost.ShopLine, false, host.Clock.Now));
        await feed.NextAsync(itemId, "the SMS was delivered");
        Assert.Equal("delivered", (await host.DetailAsync(csr, itemId)).GetProperty("sms")[0].GetProperty("delivery").GetString());
        await host.PublishAsync(new InboundSmsReceived(Guid.NewGuid(), LoopHost.NewSid("SM"), phone, LoopHost.ShopLine, "STOP", "STOP", 0, false, false, host.Clock.Now));
        await feed.NextAsync(itemId, "the customer texted STOP");
        var item = (await host.DetailAsync(csr, itemId)).GetProperty("item");
        Assert.Equal(("completed", "opted-out"), (item.GetProperty("status").GetString(), item.GetProperty("outcome").GetString()));
    }
}
