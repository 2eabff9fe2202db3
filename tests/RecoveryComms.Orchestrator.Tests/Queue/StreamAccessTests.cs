using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RecoveryComms.Orchestrator.Alerts;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Users;

namespace RecoveryComms.Orchestrator.Tests.Queue;

/// <summary>
/// Who the live feed talks to: a stream ends once its key is revoked or rotated away, and a staff alert reaches only
/// the streams of the user it is for.
/// </summary>
public sealed class StreamAccessTests(LoopHost host) : IClassFixture<LoopHost>
{
    /// <summary>Every event of one stream, read in the background until the stream ends or is disposed.</summary>
    private sealed class Feed : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Channel<(string Event, JsonElement Data)> _events = Channel.CreateUnbounded<(string, JsonElement)>();
        private HttpResponseMessage? _response;
        private Task _reader = Task.CompletedTask;

        public ConcurrentQueue<(string Event, JsonElement Data)> Received { get; } = new();

        public static async Task<Feed> OpenAsync(LoopHost host, LoopHost.User user)
        {
            var feed = new Feed();
            feed._response = await host.Orchestrator.SendAsync(LoopHost.As(user.ApiKey, HttpMethod.Get, "/api/stream"), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, feed._response.StatusCode);
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
                    else if (line.StartsWith("data: ", StringComparison.Ordinal) && name is "item" or "alert")
                    {
                        var received = (name, JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone());
                        feed.Received.Enqueue(received);
                        feed._events.Writer.TryWrite(received);
                    }
                }
            });
            return feed;
        }

        public IEnumerable<Guid> ItemIds => Received.Where(e => e.Event == "item").Select(e => e.Data.GetProperty("id").GetGuid());

        /// <summary>Waits for the next event named <paramref name="name"/> that satisfies <paramref name="match"/>.</summary>
        public async Task<JsonElement> NextAsync(string name, Func<JsonElement, bool> match, string because)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                while (true)
                {
                    var (e, data) = await _events.Reader.ReadAsync(timeout.Token);
                    if (e == name && match(data))
                    {
                        return data;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"no {name} event: {because}");
                throw;
            }
        }

        public Task ItemAsync(Guid itemId, string because) => NextAsync("item", d => d.GetProperty("id").GetGuid() == itemId, because);

        /// <summary>Waits for the server to end the stream.</summary>
        public async Task EndedAsync(string because)
        {
            try
            {
                await _reader.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                Assert.Fail($"the stream is still open: {because}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _response?.Dispose();
            try
            {
                await _reader;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // The feed was closed under the reader.
            }

            _stop.Dispose();
        }
    }

    private async Task<Guid> KeyIdAsync(LoopHost.User user)
    {
        await using var c = new NpgsqlConnection(host.Database.ConnectionString);
        return await c.QuerySingleAsync<Guid>("SELECT key_id FROM orchestrator.api_keys WHERE user_id = @Id AND revoked_at IS NULL", new { user.Id });
    }

    /// <summary>A missed call from a new number; its item's id, read by <paramref name="reader"/>.</summary>
    private async Task<Guid> NewItemAsync(LoopHost.User reader)
    {
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        return (await host.ItemOfAsync(reader, phone)).GetProperty("id").GetGuid();
    }

    [Theory]
    [InlineData("revoke")]
    [InlineData("rotate")]
    public async Task KeyRevokedOrRotated_EndsItsStream_AndNoLaterItemEventReachesIt(string how)
    {
        var csr = await host.UserAsync("csr");
        var watcher = await host.UserAsync("csr");
        var admin = await host.UserAsync("admin");
        await using var feed = await Feed.OpenAsync(host, csr);
        await using var control = await Feed.OpenAsync(host, watcher);
        await feed.ItemAsync(await NewItemAsync(watcher), "the stream works before the key goes");

        var response = how == "revoke"
            ? await host.SendAsync(admin, HttpMethod.Delete, $"/api/users/{csr.Id}/keys/{await KeyIdAsync(csr)}")
            : await host.SendAsync(admin, HttpMethod.Post, $"/api/users/{csr.Id}/keys");
        Assert.True(response.IsSuccessStatusCode, $"{how}: {response.StatusCode}");
        var later = await NewItemAsync(watcher);
        await control.ItemAsync(later, "a stream whose key is live gets the later change");

        await feed.EndedAsync($"its key was {how}d");
        Assert.DoesNotContain(later, feed.ItemIds);
    }

    [Fact]
    public async Task KeyRevokedWithoutTheOrchestrator_EndsItsStreamAtTheNextKeyCheck()
    {
        var csr = await host.UserAsync("csr");
        await using var feed = await Feed.OpenAsync(host, csr);

        // No NOTIFY: as when the feed's listening connection was being re-opened at the revocation.
        await using (var c = new NpgsqlConnection(host.Database.ConnectionString))
        {
            await c.ExecuteAsync("UPDATE orchestrator.api_keys SET revoked_at = now() WHERE user_id = @Id", new { csr.Id });
        }

        await feed.EndedAsync("its key was revoked in the database");
    }

    [Fact]
    public async Task StaffAlert_ReachesOnlyTheStreamsOfTheUserItIsFor()
    {
        var first = await host.UserAsync("csr");
        var second = await host.UserAsync("manager");
        var itemId = await NewItemAsync(second);
        await using var firstFeed = await Feed.OpenAsync(host, first);
        await using var secondFeed = await Feed.OpenAsync(host, second);

        await RaiseAsync(itemId, "backup-triggered", first, "for the first");
        await RaiseAsync(itemId, "escalated", second, "for the second");

        var toFirst = await firstFeed.NextAsync("alert", _ => true, "the first user's alert");
        Assert.Equal(("backup-triggered", first.Id, "for the first"),
            (toFirst.GetProperty("trigger").GetString(), toFirst.GetProperty("userId").GetGuid(), toFirst.GetProperty("text").GetString()));
        // The feed sends alerts in the order they were raised, so the second user's own alert comes after any other.
        var toSecond = await secondFeed.NextAsync("alert", _ => true, "the second user's alert");
        Assert.Equal(("escalated", second.Id), (toSecond.GetProperty("trigger").GetString(), toSecond.GetProperty("userId").GetGuid()));
        Assert.DoesNotContain(secondFeed.Received, e => e.Event == "alert" && e.Data.GetProperty("userId").GetGuid() != second.Id);
        Assert.DoesNotContain(firstFeed.Received, e => e.Event == "alert" && e.Data.GetProperty("userId").GetGuid() != first.Id);
    }

    private async Task RaiseAsync(Guid itemId, string trigger, LoopHost.User user, string text)
    {
        await using var c = new NpgsqlConnection(host.Database.ConnectionString);
        await c.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var item = await RecoveryItemStore.LockAsync(c, tx, itemId, CancellationToken.None);
        await host.Services.GetRequiredService<StaffAlerts>().RaiseAsync(c, tx, item!, trigger, user.Id, text, CancellationToken.None);
        await tx.CommitAsync();
    }
}
