using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Queue;

/// <summary>The queue's HTTP surface: authorization on every route, refusals as problem+json, callbacks and queue order, the live stream.</summary>
public sealed class QueueApiTests(LoopHost host) : IClassFixture<LoopHost>
{
    private static Guid Id(JsonElement item) => item.GetProperty("id").GetGuid();

    [Fact]
    public void EveryApiRoute_HasAnExplicitAuthorizationPolicy()
    {
        var routes = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api", StringComparison.Ordinal) == true).ToList();

        Assert.NotEmpty(routes);
        Assert.All(routes, e => Assert.True(e.Metadata.GetMetadata<IAuthorizeData>() is not null, $"{e.DisplayName} has no authorization policy"));
    }

    [Fact]
    public async Task Refusals_AreProblemJson_WithStableTypes()
    {
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(csr, phone);

        var anonymous = await host.Orchestrator.SendAsync(LoopHost.As(null, HttpMethod.Get, "/api/recoveries"));
        var compliance = await host.UserAsync("compliance");
        var forbidden = await host.SendAsync(compliance, HttpMethod.Get, "/api/recoveries");
        var reassignByCsr = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{Id(item)}/reassign", new { primaryOwnerId = csr.Id, backupOwnerId = compliance.Id });
        var missing = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{Guid.NewGuid()}/claim");
        var badView = await host.SendAsync(csr, HttpMethod.Get, "/api/recoveries?view=everything");
        var other = await host.UserAsync("csr");
        await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{Id(item)}/claim");
        var claimedByOther = await host.SendAsync(other, HttpMethod.Post, $"/api/recoveries/{Id(item)}/claim");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, reassignByCsr.StatusCode);
        foreach (var (response, status, type) in new[] { (missing, HttpStatusCode.NotFound, "not-found"), (badView, HttpStatusCode.BadRequest, "invalid-view"), (claimedByOther, HttpStatusCode.Conflict, "claimed-by-other") })
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("https://recoverycomms.dev/problems/" + type, (await LoopHost.ReadAsync<JsonElement>(response)).GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task Callbacks_AreValidated_AndTheQueueRunsEmergenciesFirst_ThenCalls_PromisedByDeadline_Warranty_PostJob_Estimate()
    {
        var csr = await host.UserAsync("csr");
        var integration = await host.UserAsync("integration");
        var phones = Enumerable.Range(0, 7).Select(_ => LoopHost.NewPhone()).ToList();
        var now = host.Clock.Now;

        var warrantyWithoutJob = await host.SendAsync(csr, HttpMethod.Post, "/api/callbacks", new { type = "warranty", phone = phones[0] });
        var promisedWithoutTime = await host.SendAsync(csr, HttpMethod.Post, "/api/callbacks", new { type = "promised-update", phone = phones[0] });
        var missedCallType = await host.SendAsync(csr, HttpMethod.Post, "/api/callbacks", new { type = "missed-call", phone = phones[0] });
        Assert.Equal(HttpStatusCode.BadRequest, warrantyWithoutJob.StatusCode);
        Assert.Contains("originalJobNumber", await warrantyWithoutJob.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, promisedWithoutTime.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, missedCallType.StatusCode);

        async Task Create(LoopHost.User who, object body) =>
            Assert.Equal(HttpStatusCode.Created, (await host.SendAsync(who, HttpMethod.Post, "/api/callbacks", body)).StatusCode);
        await Create(csr, new { type = "estimate", phone = phones[0], note = "Re-engage the bathroom remodel quote" });
        await Create(integration, new { type = "post-job", phone = phones[1], dueAt = now.AddHours(-1) });
        await Create(integration, new { type = "warranty", phone = phones[2], originalJobNumber = "J-1042", techName = "Sam", jobType = "water heater" });
        await Create(csr, new { type = "promised-update", phone = phones[3], dueAt = now.AddHours(3) });
        await Create(csr, new { type = "promised-update", phone = phones[4], dueAt = now.AddHours(1) });
        await host.MissAsync(phones[5]);
        await host.ItemOfAsync(csr, phones[5]);
        await Create(csr, new { type = "emergency", phone = phones[6], note = "Gas smell" });

        var order = (await host.ItemsAsync(csr)).Select(i => i.GetProperty("phone").GetString()).Where(p => phones.Contains(p!)).ToList();
        Assert.Equal([phones[6], phones[5], phones[4], phones[3], phones[2], phones[1], phones[0]], order);
    }

    [Fact]
    public async Task Stream_SendsAnItemEvent_WhenAMissedCallArrives()
    {
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();
        using var request = LoopHost.As(csr.ApiKey, HttpMethod.Get, "/api/stream");
        using var response = await host.Orchestrator.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("event: ready", await reader.ReadLineAsync());

        await host.MissAsync(phone);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        string? eventName = null;
        while (!timeout.IsCancellationRequested)
        {
            var line = await reader.ReadLineAsync(timeout.Token);
            if (line?.StartsWith("event: ", StringComparison.Ordinal) == true)
            {
                eventName = line["event: ".Length..];
            }
            else if (line?.StartsWith("data: ", StringComparison.Ordinal) == true && eventName == "item")
            {
                var item = JsonDocument.Parse(line["data: ".Length..]).RootElement;
                if (item.GetProperty("phone").GetString() == phone)
                {
                    Assert.Equal("missed-call", item.GetProperty("type").GetString());
                    return;
                }
            }
        }

        Assert.Fail("no item event for the missed call");
    }

    [Fact]
    public async Task ItemEvents_ReachASubscribedCrm_SignedWithTheItem()
    {
        using var crm = WireMock.Server.WireMockServer.Start();
        crm.Given(WireMock.RequestBuilders.Request.Create().UsingPost()).RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(204));
        var admin = await host.UserAsync("admin");
        var csr = await host.UserAsync("csr", LoopHost.NewPhone());
        var subscribed = await host.SendAsync(admin, HttpMethod.Post, "/api/integrations/webhooks",
            new { url = crm.Url + "/crm/hooks", events = new[] { "recovery.created", "recovery.claimed", "recovery.disposed" } });
        Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
        var phone = LoopHost.NewPhone();

        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(csr, phone);
        await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{Id(item)}/claim");
        await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{Id(item)}/disposition", new { outcome = "booked-job" });

        var bodies = await Eventually.ValueAsync(
            () => Task.FromResult(crm.LogEntries.Select(e => JsonDocument.Parse(e.RequestMessage.Body!).RootElement)
                .Where(b => b.GetProperty("item").GetProperty("id").GetGuid() == Id(item)).ToList()),
            b => b.Count >= 3, TimeSpan.FromSeconds(30), "three CRM deliveries");
        Assert.Equal(["recovery.claimed", "recovery.created", "recovery.disposed"], bodies.Select(b => b.GetProperty("type").GetString()).Order().ToList());
        Assert.Equal("completed", bodies.Single(b => b.GetProperty("type").GetString() == "recovery.disposed").GetProperty("item").GetProperty("status").GetString());
        Assert.All(crm.LogEntries, e => Assert.StartsWith("t=", e.RequestMessage.Headers!["RecoveryComms-Signature"][0], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reassign_ByAManager_SetsBothNamedOwners()
    {
        var manager = await host.UserAsync("manager");
        var (a, b) = (await host.UserAsync("csr"), await host.UserAsync("csr"));
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(a, phone);

        var same = await host.SendAsync(manager, HttpMethod.Post, $"/api/recoveries/{Id(item)}/reassign", new { primaryOwnerId = a.Id, backupOwnerId = a.Id });
        var done = await host.SendAsync(manager, HttpMethod.Post, $"/api/recoveries/{Id(item)}/reassign", new { primaryOwnerId = a.Id, backupOwnerId = b.Id });

        Assert.Equal(HttpStatusCode.BadRequest, same.StatusCode);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var view = await LoopHost.ReadAsync<JsonElement>(done);
        Assert.Equal(a.Id, view.GetProperty("primaryOwner").GetProperty("id").GetGuid());
        Assert.Equal(b.Id, view.GetProperty("backupOwner").GetProperty("id").GetGuid());
        Assert.Contains(await host.ItemsAsync(b, "mine"), i => Id(i) == Id(item));
    }
}

/// <summary>A shop that sends the loop's SMS by itself after an unanswered first attempt, and alerts staff by SMS.</summary>
public sealed class AutoSmsHost : LoopHost
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Recovery:AutoSmsAfterFirstAttempt"] = "true",
        ["Recovery:AlertStaffBySms"] = "true",
        ["Consent:ImpliedConsentAllowsRecoveryText"] = "true",
    };
}

public sealed class AutoSmsTests(AutoSmsHost host) : IClassFixture<AutoSmsHost>
{
    [Fact]
    public async Task UnansweredFirstAttempt_SendsTheSmsWithTheNextCallbackBlocks()
    {
        var csr = await host.UserAsync("csr", LoopHost.NewPhone());
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(csr, phone);
        var id = item.GetProperty("id").GetGuid();
        await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{id}/claim");
        var call = await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{id}/call"));

        await host.PublishAsync(new CallbackAttemptStatusReported(Guid.NewGuid(), LoopHost.NewSid("CA"), call.GetProperty("csrCallSid").GetString(), "no-answer",
            null, null, null, LoopHost.ShopLine, false, host.Clock.Now));

        await host.ItemOfAsync(csr, phone, i => i.GetProperty("smsSent").GetBoolean());
        // On a loaded machine the gate's answer can miss the request timeout; the recheck timer then asks again.
        var sms = await Eventually.ValueAsync(async () =>
        {
            await host.AdvanceAsync(TimeSpan.FromSeconds(61));
            return (await host.DetailAsync(csr, id)).GetProperty("sms").EnumerateArray().Single();
        }, s => s.GetProperty("status").GetString() == "sent", TimeSpan.FromSeconds(40), "the SMS is sent");
        var texted = await host.ItemOfAsync(csr, phone, i => i.GetProperty("status").GetString() == "left-message");
        Assert.Equal("sent", sms.GetProperty("status").GetString());
        // Tuesday 10:00: the 10:00 block is too close, so 2:00 pm today and 10:00 am tomorrow.
        Assert.Contains("today 2:00 pm or tomorrow 10:00 am", sms.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, texted.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task BackupTrigger_TextsTheBackupOnce()
    {
        var primary = await host.UserAsync("csr", LoopHost.NewPhone());
        var backup = await host.UserAsync("csr", LoopHost.NewPhone());
        var manager = await host.UserAsync("manager", LoopHost.NewPhone());
        Assert.Equal(HttpStatusCode.NoContent, (await host.SendAsync(manager, HttpMethod.Put, "/api/rotation/tuesday",
            new { primaryUserId = primary.Id, backupUserId = backup.Id, managerUserId = manager.Id })).StatusCode);
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        await host.ItemOfAsync(primary, phone);

        await host.AdvanceAsync(TimeSpan.FromMinutes(5));
        await host.AdvanceAsync(TimeSpan.FromMinutes(1));

        var texts = await Eventually.ValueAsync(
            () => Task.FromResult(host.Twilio.Requests("Messages.json").Where(r => System.Web.HttpUtility.ParseQueryString(r.RequestMessage.Body ?? "")["To"] == backup.Phone).ToList()),
            r => r.Count >= 1, TimeSpan.FromSeconds(20), "the backup is texted");
        Assert.Single(texts);
        Assert.DoesNotContain(phone, texts[0].RequestMessage.Body!, StringComparison.Ordinal);
    }
}
