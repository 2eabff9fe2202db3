using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Orchestrator.Integrations;
using RecoveryComms.Testing;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace RecoveryComms.Orchestrator.Tests.Integrations;

public sealed class CrmWebhookTests(CrmHost host) : IClassFixture<CrmHost>
{
    private static readonly TimeSpan Day = TimeSpan.FromHours(24);

    private void CrmAnswers(string path, int status = 200, TimeSpan? delay = null)
    {
        var response = Response.Create().WithStatusCode(status);
        host.Crm.Given(Request.Create().WithPath(path).UsingPost()).RespondWith(delay is null ? response : response.WithDelay(delay.Value));
    }

    private IReadOnlyList<IRequestMessage> Received(string path) =>
        host.Crm.LogEntries.Select(e => e.RequestMessage).Where(r => r.Path == path).OrderBy(r => r.DateTime).ToList();

    private static string Header(IRequestMessage request, string name) =>
        string.Join(",", request.Headers!.Single(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value);

    /// <summary>Checks the signature the way a CRM would, without the service's code: HMAC-SHA256(secret, "t.body").</summary>
    private static long AssertSigned(IRequestMessage request, string secret)
    {
        var match = Regex.Match(Header(request, "RecoveryComms-Signature"), "^t=([0-9]+),v1=([0-9a-f]{64})$");
        Assert.True(match.Success, Header(request, "RecoveryComms-Signature"));
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        var expected = Convert.ToHexStringLower(hmac.ComputeHash([.. Encoding.UTF8.GetBytes(match.Groups[1].Value + "."), .. request.BodyAsBytes!]));
        Assert.Equal(expected, match.Groups[2].Value);
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private async Task<IReadOnlyList<CrmHost.DeliveryRow>> RowsAsync(Guid webhookId, Func<IReadOnlyList<CrmHost.DeliveryRow>, bool> done, string because, TimeSpan? timeout = null) =>
        (await Eventually.ValueAsync(async () => new Rows(await host.DeliveriesAsync(webhookId)), rows => done(rows.List), timeout, because)).List;

    /// <summary>Rows that print themselves when a wait times out.</summary>
    private sealed record Rows(IReadOnlyList<CrmHost.DeliveryRow> List)
    {
        public override string ToString() => $"[{string.Join("; ", List)}]";
    }

    private static object Item(string phone = "+13125550142") => new
    {
        Id = Guid.NewGuid(),
        Type = "missed-call",
        Status = "needs-callback",
        Phone = phone,
        PrimaryOwner = new { Id = Guid.NewGuid(), Name = "Dana Reyes" },
    };

    [Fact]
    public async Task Enqueue_SubscribedEvent_CrmReceivesSignedBodyWithStableEventId()
    {
        var admin = await host.AdminKeyAsync();
        var path = CrmHost.NewCrmPath();
        CrmAnswers(path);
        var subscription = await host.SubscribeAsync(admin, host.CrmUrl(path), CrmEvents.Created, CrmEvents.Disposed);
        var occurredAt = host.Clock.GetUtcNow().AddMinutes(-2);

        await host.EnqueueAsync(CrmEvents.Created, Item(), occurredAt);

        var row = (await RowsAsync(subscription.Id, rows => rows.Count == 1 && rows[0].Status == "delivered", "delivered"))[0];
        var request = Assert.Single(Received(path));
        Assert.Equal(host.Clock.GetUtcNow().ToUnixTimeSeconds(), AssertSigned(request, subscription.Secret));
        Assert.Equal(row.EventId.ToString(), Header(request, "RecoveryComms-Event-Id"));
        Assert.StartsWith("application/json", Header(request, "Content-Type"), StringComparison.Ordinal);
        Assert.Equal(row.Body, Encoding.UTF8.GetString(request.BodyAsBytes!));
        using var body = JsonDocument.Parse(request.BodyAsBytes);
        Assert.Equal(row.EventId, body.RootElement.GetProperty("id").GetGuid());
        Assert.Equal("recovery.created", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(occurredAt, body.RootElement.GetProperty("occurredAt").GetDateTimeOffset());
        var item = body.RootElement.GetProperty("item");
        Assert.Equal("+13125550142", item.GetProperty("phone").GetString());
        Assert.Equal("Dana Reyes", item.GetProperty("primaryOwner").GetProperty("name").GetString());
        Assert.Equal((1, 200), (row.Attempts, row.LastStatusCode));
    }

    [Fact]
    public async Task Enqueue_CrmFailsThenRecovers_RetrySendsTheSameEventIdAndBodyAfterTheBackoff()
    {
        var admin = await host.AdminKeyAsync();
        var path = CrmHost.NewCrmPath();
        host.Crm.Given(Request.Create().WithPath(path).UsingPost()).InScenario(path).WillSetStateTo("failed once")
            .RespondWith(Response.Create().WithStatusCode(500).WithBody("database is down"));
        host.Crm.Given(Request.Create().WithPath(path).UsingPost()).InScenario(path).WhenStateIs("failed once")
            .RespondWith(Response.Create().WithStatusCode(200));
        var subscription = await host.SubscribeAsync(admin, host.CrmUrl(path), CrmEvents.Claimed);
        var now = host.Clock.GetUtcNow();

        await host.EnqueueAsync(CrmEvents.Claimed, Item(), now);

        var failed = (await RowsAsync(subscription.Id, rows => rows.Count == 1 && rows[0].Attempts == 1, "first attempt recorded"))[0];
        Assert.Equal(("pending", 500), (failed.Status, failed.LastStatusCode));
        Assert.Contains("database is down", failed.LastError, StringComparison.Ordinal);
        // First backoff: 10 s with equal jitter, so due between 5 and 10 s later; nothing is retried before then.
        Assert.InRange(new DateTimeOffset(failed.NextAttemptAt!.Value, TimeSpan.Zero), now.AddSeconds(5), now.AddSeconds(10));
        Assert.Single(Received(path));

        host.Clock.Advance(TimeSpan.FromSeconds(10));

        var delivered = (await RowsAsync(subscription.Id, rows => rows[0].Status == "delivered", "delivered on the retry"))[0];
        var requests = Received(path);
        Assert.Equal(2, requests.Count);
        Assert.Equal(Header(requests[0], "RecoveryComms-Event-Id"), Header(requests[1], "RecoveryComms-Event-Id"));
        Assert.Equal(delivered.EventId.ToString(), Header(requests[1], "RecoveryComms-Event-Id"));
        Assert.Equal(requests[0].BodyAsBytes, requests[1].BodyAsBytes);
        Assert.Equal(10, AssertSigned(requests[1], subscription.Secret) - AssertSigned(requests[0], subscription.Secret));
        Assert.Equal((2, 200, null), (delivered.Attempts, delivered.LastStatusCode, delivered.LastError));
    }

    [Fact]
    public async Task Enqueue_CrmDownForMoreThanADay_RetriedUntilThenMarkedFailedWithTheLastError()
    {
        var admin = await host.AdminKeyAsync();
        var subscription = await host.SubscribeAsync(admin, CrmHost.DownUrl(), CrmEvents.Escalated);
        var createdAt = host.Clock.GetUtcNow();

        await host.EnqueueAsync(CrmEvents.Escalated, Item(), createdAt);

        var row = (await RowsAsync(subscription.Id, rows => rows.Count == 1 && rows[0].Attempts == 1, "first attempt"))[0];
        while (row.Status == "pending")
        {
            Assert.True(host.Clock.GetUtcNow() < createdAt + Day, $"still pending at {host.Clock.GetUtcNow():O}");
            host.Clock.Advance(TimeSpan.FromHours(1));
            var attempts = row.Attempts;
            row = (await RowsAsync(subscription.Id, rows => rows[0].Attempts == attempts + 1, $"attempt {attempts + 1}"))[0];
        }

        Assert.Equal("failed", row.Status);
        Assert.True(host.Clock.GetUtcNow() >= createdAt + Day);
        Assert.Equal(25, row.Attempts);
        Assert.Null(row.LastStatusCode);
        Assert.Contains("refused", row.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.Null(row.NextAttemptAt);
        var log = await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Get, $"/api/integrations/deliveries?webhookId={subscription.Id}&status=failed"));
        var entry = Assert.Single((await log.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray());
        Assert.Equal(row.EventId, entry.GetProperty("eventId").GetGuid());
        Assert.Equal(25, entry.GetProperty("attempts").GetInt32());
        Assert.Equal(row.LastError, entry.GetProperty("lastError").GetString());
    }

    [Fact]
    public async Task SlowCrm_DoesNotDelayDeliveriesToAnotherSubscription()
    {
        var admin = await host.AdminKeyAsync();
        var slowPath = CrmHost.NewCrmPath();
        var fastPath = CrmHost.NewCrmPath();
        CrmAnswers(slowPath, delay: TimeSpan.FromSeconds(30));
        CrmAnswers(fastPath);
        var slow = await host.SubscribeAsync(admin, host.CrmUrl(slowPath), [.. CrmEvents.All]);
        for (var i = 0; i < 6; i++)
        {
            await host.EnqueueAsync(CrmEvents.Attempt, Item(), host.Clock.GetUtcNow());
        }

        var fast = await host.SubscribeAsync(admin, host.CrmUrl(fastPath), CrmEvents.Created);
        var clock = Stopwatch.StartNew();
        await host.EnqueueAsync(CrmEvents.Created, Item(), host.Clock.GetUtcNow());

        await RowsAsync(fast.Id, rows => rows.Count == 1 && rows[0].Status == "delivered", "the fast CRM got its event");
        Assert.True(clock.Elapsed < CrmHost.RequestTimeout, $"took {clock.Elapsed}: it waited for the slow CRM");
        Assert.All(await host.DeliveriesAsync(slow.Id), row => Assert.Equal("pending", row.Status));
        // The slow CRM's attempts end at the request timeout, not when it finally answers, and are retried later.
        var timedOut = await RowsAsync(slow.Id, rows => rows.Any(r => r.Attempts == 1), "a slow attempt timed out", TimeSpan.FromSeconds(15));
        Assert.Contains(timedOut, r => r.Attempts == 1 && r.Status == "pending" && r.LastError == "no answer within 5 s");
        // Its retries would otherwise go on whenever a later test moves the clock.
        await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Delete, $"/api/integrations/webhooks/{slow.Id}"));
    }

    [Fact]
    public async Task Enqueue_EventTypeNobodySubscribesTo_ProducesNoDelivery()
    {
        var admin = await host.AdminKeyAsync();
        var path = CrmHost.NewCrmPath();
        CrmAnswers(path);
        var subscription = await host.SubscribeAsync(admin, host.CrmUrl(path), CrmEvents.Created);

        await host.EnqueueAsync(CrmEvents.Sms, Item(), host.Clock.GetUtcNow());
        await host.EnqueueAsync(CrmEvents.Created, Item(), host.Clock.GetUtcNow());

        var row = Assert.Single(await RowsAsync(subscription.Id, rows => rows.Count > 0 && rows.All(r => r.Status == "delivered"), "delivered"));
        Assert.Equal(CrmEvents.Created, row.EventType);
        Assert.Single(Received(path));
    }

    [Fact]
    public async Task Enqueue_InARolledBackTransaction_ProducesNothing()
    {
        var admin = await host.AdminKeyAsync();
        var path = CrmHost.NewCrmPath();
        CrmAnswers(path);
        var subscription = await host.SubscribeAsync(admin, host.CrmUrl(path), CrmEvents.Created, CrmEvents.Disposed);

        await host.EnqueueAsync(CrmEvents.Created, Item(), host.Clock.GetUtcNow(), commit: false);
        await host.EnqueueAsync(CrmEvents.Disposed, Item(), host.Clock.GetUtcNow());

        var row = Assert.Single(await RowsAsync(subscription.Id, rows => rows.Count > 0 && rows.All(r => r.Status == "delivered"), "delivered"));
        Assert.Equal(CrmEvents.Disposed, row.EventType);
        var request = Assert.Single(Received(path));
        Assert.Contains("\"type\":\"recovery.disposed\"", Encoding.UTF8.GetString(request.BodyAsBytes!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enqueue_TwoSubscriptions_ShareOneEventIdAndBody()
    {
        var admin = await host.AdminKeyAsync();
        var (pathA, pathB) = (CrmHost.NewCrmPath(), CrmHost.NewCrmPath());
        CrmAnswers(pathA);
        CrmAnswers(pathB);
        var a = await host.SubscribeAsync(admin, host.CrmUrl(pathA), CrmEvents.Disposed);
        var b = await host.SubscribeAsync(admin, host.CrmUrl(pathB), CrmEvents.Disposed);

        await host.EnqueueAsync(CrmEvents.Disposed, Item(), host.Clock.GetUtcNow());

        var rowA = Assert.Single(await RowsAsync(a.Id, rows => rows.Count == 1 && rows[0].Status == "delivered", "A delivered"));
        var rowB = Assert.Single(await RowsAsync(b.Id, rows => rows.Count == 1 && rows[0].Status == "delivered", "B delivered"));
        Assert.Equal(rowA.EventId, rowB.EventId);
        Assert.Equal(Received(pathA)[0].BodyAsBytes, Received(pathB)[0].BodyAsBytes);
        AssertSigned(Received(pathA)[0], a.Secret);
        AssertSigned(Received(pathB)[0], b.Secret);
    }

    [Fact]
    public async Task TwoDispatchers_SendEveryDeliveryExactlyOnce()
    {
        var admin = await host.AdminKeyAsync();
        var path = CrmHost.NewCrmPath();
        CrmAnswers(path, delay: TimeSpan.FromMilliseconds(20));
        var subscription = await host.SubscribeAsync(admin, host.CrmUrl(path), CrmEvents.Attempt);
        // A second replica on the same database: its own loop, slots and row claims.
        using var replica = ActivatorUtilities.CreateInstance<WebhookDispatcher>(host.OrchestratorServices);
        await replica.StartAsync(CancellationToken.None);
        try
        {
            for (var i = 0; i < 60; i++)
            {
                await host.EnqueueAsync(CrmEvents.Attempt, Item(), host.Clock.GetUtcNow());
            }

            await RowsAsync(subscription.Id, rows => rows.Count == 60 && rows.All(r => r.Status == "delivered"), "all delivered", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await replica.StopAsync(CancellationToken.None);
        }

        var eventIds = Received(path).Select(r => Header(r, "RecoveryComms-Event-Id")).ToList();
        Assert.Equal(60, eventIds.Count);
        Assert.Equal(60, eventIds.Distinct().Count());
        Assert.All(await host.DeliveriesAsync(subscription.Id), row => Assert.Equal(1, row.Attempts));
    }

    [Fact]
    public async Task Remove_CancelsPendingDeliveries_AndASecondRemoveIs404()
    {
        var admin = await host.AdminKeyAsync();
        var subscription = await host.SubscribeAsync(admin, CrmHost.DownUrl(), CrmEvents.Sms);
        await host.EnqueueAsync(CrmEvents.Sms, Item(), host.Clock.GetUtcNow());
        await RowsAsync(subscription.Id, rows => rows.Count == 1 && rows[0].Attempts == 1, "first attempt failed");

        var removed = await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Delete, $"/api/integrations/webhooks/{subscription.Id}"));
        var again = await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Delete, $"/api/integrations/webhooks/{subscription.Id}"));
        await host.EnqueueAsync(CrmEvents.Sms, Item(), host.Clock.GetUtcNow());

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        var row = Assert.Single(await host.DeliveriesAsync(subscription.Id));
        Assert.Equal(("cancelled", 1), (row.Status, row.Attempts));
        Assert.Null(row.NextAttemptAt);
        var list = await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Get, "/api/integrations/webhooks"));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.DoesNotContain(subscription.Id.ToString(), await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListWebhooks_NeverShowsSecrets()
    {
        var admin = await host.AdminKeyAsync();
        var subscription = await host.SubscribeAsync(admin, host.CrmUrl(CrmHost.NewCrmPath()) + "?token=abc", CrmEvents.Created);

        var response = await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Get, "/api/integrations/webhooks"));
        var json = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith(WebhookSignature.SecretPrefix, subscription.Secret, StringComparison.Ordinal);
        Assert.Equal(subscription.Url, (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()
            .Single(w => w.GetProperty("id").GetGuid() == subscription.Id).GetProperty("url").GetString());
        Assert.DoesNotContain(subscription.Secret, json, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Deliveries_FilteredAndPagedNewestFirst()
    {
        var admin = await host.AdminKeyAsync();
        var path = CrmHost.NewCrmPath();
        CrmAnswers(path);
        var subscription = await host.SubscribeAsync(admin, host.CrmUrl(path), CrmEvents.Created);
        for (var i = 0; i < 3; i++)
        {
            await host.EnqueueAsync(CrmEvents.Created, Item(), host.Clock.GetUtcNow());
        }

        var rows = await RowsAsync(subscription.Id, r => r.Count == 3 && r.All(d => d.Status == "delivered"), "delivered");

        async Task<JsonElement> PageAsync(string query) =>
            await (await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Get, $"/api/integrations/deliveries?webhookId={subscription.Id}{query}")))
                .Content.ReadFromJsonAsync<JsonElement>();

        var first = await PageAsync("&status=delivered&limit=2");
        var second = await PageAsync($"&status=delivered&limit=2&before={first.GetProperty("nextBefore").GetInt64()}");
        var none = await PageAsync("&status=failed");
        var ids = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).Select(d => d.GetProperty("eventId").GetGuid());

        Assert.Equal(rows.Select(r => r.EventId).Reverse(), ids);
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextBefore").ValueKind);
        Assert.Empty(none.GetProperty("items").EnumerateArray());
        var entry = first.GetProperty("items")[0];
        Assert.Equal(("recovery.created", "delivered", 1, 200), (entry.GetProperty("eventType").GetString(), entry.GetProperty("status").GetString(),
            entry.GetProperty("attempts").GetInt32(), entry.GetProperty("lastStatusCode").GetInt32()));
        Assert.NotEqual(JsonValueKind.Null, entry.GetProperty("deliveredAt").ValueKind);
    }

    [Fact]
    public async Task Endpoints_WithoutKey_Are401_ForCsr_Are403_ForTheRetiredBootstrapKey_Are401()
    {
        var csr = await host.UserKeyAsync("csr");
        var routes = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Post, "/api/integrations/webhooks"),
            (HttpMethod.Get, "/api/integrations/webhooks"),
            (HttpMethod.Delete, $"/api/integrations/webhooks/{Guid.NewGuid()}"),
            (HttpMethod.Get, "/api/integrations/deliveries"),
        };

        foreach (var (method, path) in routes)
        {
            HttpContent Body() => JsonContent.Create(new { url = "https://crm.example/hooks", events = new[] { CrmEvents.Created } });
            Assert.Equal(HttpStatusCode.Unauthorized, (await host.Orchestrator.SendAsync(ServicesHost.As(null, method, path, Body()))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await host.Orchestrator.SendAsync(ServicesHost.As(csr, method, path, Body()))).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await host.Orchestrator.SendAsync(ServicesHost.As(ServicesHost.BootstrapKey, method, path, Body()))).StatusCode);
        }
    }

    [Theory]
    [InlineData("{\"url\":\"not a url\",\"events\":[\"recovery.created\"]}", "url")]
    [InlineData("{\"url\":\"/relative/hooks\",\"events\":[\"recovery.created\"]}", "url")]
    [InlineData("{\"url\":\"ftp://crm.example/hooks\",\"events\":[\"recovery.created\"]}", "url")]
    [InlineData("{\"url\":\"https://user:password@crm.example/hooks\",\"events\":[\"recovery.created\"]}", "url")]
    [InlineData("{\"events\":[\"recovery.created\"]}", "url")]
    [InlineData("{\"url\":\"https://crm.example/hooks\",\"events\":[]}", "events")]
    [InlineData("{\"url\":\"https://crm.example/hooks\"}", "events")]
    [InlineData("{\"url\":\"https://crm.example/hooks\",\"events\":[\"recovery.created\",\"recovery.deleted\"]}", "events")]
    [InlineData("{\"url\":\"https://crm.example/hooks\",\"events\":[null]}", "events")]
    public async Task Subscribe_InvalidInput_Is400ProblemNamingTheField(string json, string field)
    {
        var admin = await host.AdminKeyAsync();

        var response = await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Post, "/api/integrations/webhooks",
            new StringContent(json, Encoding.UTF8, "application/json")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://recoverycomms.dev/problems/validation", problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Theory]
    [InlineData("status=lost")]
    [InlineData("limit=0")]
    [InlineData("limit=201")]
    public async Task Deliveries_InvalidFilter_Is400Problem(string query)
    {
        var admin = await host.AdminKeyAsync();

        var response = await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Get, $"/api/integrations/deliveries?{query}"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }
}
