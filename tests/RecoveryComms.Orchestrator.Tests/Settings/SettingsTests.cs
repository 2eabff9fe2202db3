using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Npgsql;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Orchestrator.Tests.Queue;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Settings;

/// <summary>A shop that sends the automatic SMS (so the callback blocks are offered) on implied consent.</summary>
public sealed class SettingsHost : LoopHost
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Recovery:AutoSmsAfterFirstAttempt"] = "true",
        ["Consent:ImpliedConsentAllowsRecoveryText"] = "true",
        ["Webhooks:RingGroup:0"] = "+15550002222",
    };
}

/// <summary>
/// The console's shop settings: GET/PUT /api/settings, its validation, optimistic concurrency, the outbox event,
/// and that the loop uses what was saved. Tests share one database, so each saves over whatever version is current
/// and asserts only what it saved itself.
/// </summary>
public sealed class SettingsTests(SettingsHost host) : IClassFixture<SettingsHost>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private async Task<LoopHost.User> ManagerAsync() => await host.UserAsync("manager");

    private async Task<JsonObject> CurrentAsync(LoopHost.User user, HttpClient? client = null)
    {
        var response = await (client ?? host.Orchestrator).SendAsync(LoopHost.As(user.ApiKey, HttpMethod.Get, "/api/settings"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private Task<HttpResponseMessage> PutAsync(LoopHost.User user, JsonObject document) =>
        host.Orchestrator.SendAsync(LoopHost.As(user.ApiKey, HttpMethod.Put, "/api/settings", new StringContent(document.ToJsonString(), System.Text.Encoding.UTF8, "application/json")));

    /// <summary>Saves the current document with <paramref name="change"/> applied; asserts 200 and returns the answer.</summary>
    private async Task<JsonObject> SaveAsync(LoopHost.User manager, Action<JsonObject> change)
    {
        var document = await CurrentAsync(manager);
        change(document);
        var response = await PutAsync(manager, document);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    [Fact]
    public async Task Get_AsCsr_AnswersEveryFieldWithConfigurationDefaults()
    {
        var csr = await host.UserAsync("csr");

        var document = await CurrentAsync(csr);

        foreach (var field in new[] { "version", "updatedAt", "updatedBy", "shopName", "timeZone", "openHours", "ringGroup", "firstAttemptTarget", "sla",
            "afterHoursFirstAttemptBy", "promisedCheckBefore", "callbackBlocks", "smsTemplate", "talkTracks" })
        {
            Assert.True(document.ContainsKey(field), $"the document has {field}");
        }

        var days = document["openHours"]!.AsObject();
        Assert.Equal(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], days.Select(d => d.Key));
        Assert.Null(days["sunday"]);
        Assert.Equal("09:00-13:00", days["saturday"]!.GetValue<string>());
        Assert.Equal("America/Chicago", document["timeZone"]!.GetValue<string>());
        foreach (var track in new[] { "call", "voicemail", "followUp" })
        {
            Assert.False(string.IsNullOrWhiteSpace(document["talkTracks"]![track]!.GetValue<string>()), $"a default {track} talk track");
        }
    }

    [Fact]
    public async Task Put_ThenGet_RoundTripsTheDocument_NormalisesNumbers_AndKeepsHistory()
    {
        var manager = await ManagerAsync();
        var before = await CurrentAsync(manager);

        var saved = await SaveAsync(manager, d =>
        {
            d["shopName"] = "Acme Plumbing";
            d["timeZone"] = "America/Denver";
            d["openHours"]!["saturday"] = null;
            d["openHours"]!["sunday"] = "10:00-14:00";
            d["ringGroup"] = new JsonArray("(312) 555-0177", "+1 312 555 0178");
            d["afterHoursFirstAttemptBy"] = "09:15";
            d["promisedCheckBefore"] = "00:45:00";
            d["talkTracks"]!["call"] = "Hi {customer}, {csr} from {shop} returning your call.";
        });
        var read = await CurrentAsync(manager);

        Assert.Equal(before["version"]!.GetValue<long>() + 1, saved["version"]!.GetValue<long>());
        Assert.Equal(manager.Name, saved["updatedBy"]!.GetValue<string>());
        Assert.Equal(saved.ToJsonString(), read.ToJsonString());
        Assert.Equal("America/Denver", read["timeZone"]!.GetValue<string>());
        Assert.Null(read["openHours"]!["saturday"]);
        Assert.Equal("10:00-14:00", read["openHours"]!["sunday"]!.GetValue<string>());
        Assert.Equal(["+13125550177", "+13125550178"], read["ringGroup"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("09:15", read["afterHoursFirstAttemptBy"]!.GetValue<string>());
        Assert.Equal("00:45:00", read["promisedCheckBefore"]!.GetValue<string>());
        Assert.Equal("Hi {customer}, {csr} from {shop} returning your call.", read["talkTracks"]!["call"]!.GetValue<string>());
        var history = await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(manager, HttpMethod.Get, "/api/settings/history"));
        var newest = history.GetProperty("versions")[0];
        Assert.Equal(saved["version"]!.GetValue<long>(), newest.GetProperty("version").GetInt64());
        Assert.Equal(manager.Name, newest.GetProperty("updatedBy").GetString());
        Assert.Equal("America/Denver", newest.GetProperty("settings").GetProperty("timeZone").GetString());

        // Put the shop back in Chicago for the other tests.
        await SaveAsync(manager, d =>
        {
            d["timeZone"] = "America/Chicago";
            d["openHours"]!["saturday"] = "09:00-13:00";
            d["openHours"]!["sunday"] = null;
        });
    }

    [Fact]
    public async Task Put_PublishesShopSettingsChangedThroughTheOutbox_InTheSavingTransaction()
    {
        var manager = await ManagerAsync();

        var saved = await SaveAsync(manager, d => d["ringGroup"] = new JsonArray("+13125550155"));

        await using var c = new NpgsqlConnection(host.Database.ConnectionString);
        var payload = await c.QuerySingleAsync<string>(
            "SELECT payload::text FROM orchestrator.outbox WHERE message_type = 'RecoveryComms.Contracts.Settings.ShopSettingsChanged' AND (payload->>'version')::bigint = @Version",
            new { Version = saved["version"]!.GetValue<long>() });
        var message = JsonNode.Parse(payload)!;
        Assert.Equal(["+13125550155"], message["ringGroup"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("America/Chicago", message["timeZone"]!.GetValue<string>());
        Assert.Equal(7, message["openHours"]!.AsObject().Count);
    }

    public static TheoryData<string, string, string> Invalid => new()
    {
        { "timeZone", "timeZone", "\"Mars/Olympus_Mons\"" },
        { "openHours bad HH:mm", "openHours", "{\"monday\":\"8am-6pm\",\"tuesday\":null,\"wednesday\":null,\"thursday\":null,\"friday\":null,\"saturday\":null,\"sunday\":null}" },
        { "openHours open after close", "openHours", "{\"monday\":\"18:00-08:00\",\"tuesday\":null,\"wednesday\":null,\"thursday\":null,\"friday\":null,\"saturday\":null,\"sunday\":null}" },
        { "openHours unknown day", "openHours", "{\"funday\":\"08:00-18:00\"}" },
        { "ringGroup", "ringGroup", "[\"+13125550100\",\"call the office\"]" },
        { "ringGroup empty", "ringGroup", "[]" },
        { "ringGroup premium rate", "ringGroup", "[\"+19005550123\"]" },
        { "ringGroup abroad", "ringGroup", "[\"+13125550100\",\"+447700900123\"]" },
        { "ringGroup in another NANP country", "ringGroup", "[\"+16718341234\"]" },
        { "ringGroup over ten", "ringGroup", "[" + string.Join(",", Enumerable.Range(10, 11).Select(n => $"\"+131255501{n}\"")) + "]" },
        { "sla absurd", "sla", "\"10675199.00:00:00\"" },
        { "firstAttemptTarget over four hours", "firstAttemptTarget", "\"05:00:00\"" },
        { "callbackBlocks over twelve", "callbackBlocks", "[" + string.Join(",", Enumerable.Range(6, 13).Select(h => $"\"{h:00}:00\"")) + "]" },
        { "firstAttemptTarget non-positive", "firstAttemptTarget", "\"00:00:00\"" },
        { "sla not after first attempt", "sla", "\"00:05:00\"" },
        { "sla not a duration", "sla", "\"fifteen minutes\"" },
        { "afterHoursFirstAttemptBy", "afterHoursFirstAttemptBy", "\"8:30am\"" },
        { "promisedCheckBefore", "promisedCheckBefore", "\"-00:10:00\"" },
        { "callbackBlocks", "callbackBlocks", "[\"10:00\",\"25:00\"]" },
        { "smsTemplate without STOP", "smsTemplate", "\"{shop}: we will call you {windowA} or {windowB}.\"" },
        { "smsTemplate unknown placeholder", "smsTemplate", "\"{shop}: hi {customer}, we call {windowA} or {windowB}. Reply STOP to opt out.\"" },
        {
            "smsTemplate too long once filled", "smsTemplate",
            "\"{shop}: sorry we missed your call{issue}. A technician from our team will call you back {windowA} or, if that does not suit, {windowB}. Reply STOP to opt out.\""
        },
        { "smsTemplate UCS-2 too long", "smsTemplate", "\"{shop} 🔧 we call {windowA} or {windowB}. Reply STOP to opt out.\"" },
        { "talkTracks too long", "talkTracks", "{\"call\":\"" + new string('a', 2001) + "\",\"voicemail\":\"ok\",\"followUp\":\"ok\"}" },
        { "talkTracks unknown placeholder", "talkTracks", "{\"call\":\"Hi {name}\",\"voicemail\":\"ok\",\"followUp\":\"ok\"}" },
        { "shopName", "shopName", "\"\"" },
        { "version", "version", "null" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task Put_Invalid_Answers400NamingTheField(string because, string field, string json)
    {
        var manager = await ManagerAsync();
        var document = await CurrentAsync(manager);
        var version = document["version"]!.GetValue<long>();
        var key = because.Split(' ')[0];
        document[key] = JsonNode.Parse(json);

        var response = await PutAsync(manager, document);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await LoopHost.ReadAsync<JsonElement>(response);
        Assert.Equal("https://recoverycomms.dev/problems/validation", problem.GetProperty("type").GetString());
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"{because}: errors name {field}: {errors}");
        Assert.NotEmpty(messages.EnumerateArray());
        Assert.Single(errors.EnumerateObject());
        Assert.Equal(version, (await CurrentAsync(manager))["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Get_AsCsr_MasksTheRingGroupsNumbers_AManagerSeesThem()
    {
        var manager = await ManagerAsync();
        var csr = await host.UserAsync("csr");
        await SaveAsync(manager, d => d["ringGroup"] = new JsonArray("+13125550166", "+13125550167"));

        var forCsr = await CurrentAsync(csr);
        var forManager = await CurrentAsync(manager);

        Assert.Equal(["***0166", "***0167"], forCsr["ringGroup"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.DoesNotContain("3125550166", forCsr.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(["+13125550166", "+13125550167"], forManager["ringGroup"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task Put_AsCsr_Is403()
    {
        var csr = await host.UserAsync("csr");
        var document = await CurrentAsync(csr);

        var response = await PutAsync(csr, document);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Put_OverAStaleVersion_Is409AndChangesNothing()
    {
        var manager = await ManagerAsync();
        var stale = await CurrentAsync(manager);
        var saved = await SaveAsync(manager, d => d["shopName"] = "Acme Plumbing");

        stale["shopName"] = "Stale Plumbing";
        var response = await PutAsync(manager, stale);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("https://recoverycomms.dev/problems/settings-changed", (await LoopHost.ReadAsync<JsonElement>(response)).GetProperty("type").GetString());
        var current = await CurrentAsync(manager);
        Assert.Equal(saved["version"]!.GetValue<long>(), current["version"]!.GetValue<long>());
        Assert.Equal("Acme Plumbing", current["shopName"]!.GetValue<string>());
    }

    [Fact]
    public async Task ChangedSmsTemplate_IsWhatTheNextSmsSends()
    {
        var manager = await ManagerAsync();
        var csr = await host.UserAsync("csr", LoopHost.NewPhone());
        await SaveAsync(manager, d =>
        {
            d["shopName"] = "Acme Plumbing";
            d["smsTemplate"] = "{shop} here{issue}: we can ring you {windowA} or {windowB}. Reply STOP to opt out.";
        });
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(csr, phone);
        var id = item.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{id}/claim")).StatusCode);

        var sent = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{id}/sms", new { windowA = "today 2-4 pm", windowB = "tomorrow 8-10 am", issue = "a leak" });

        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        // On a loaded machine the gate may answer after the request timeout; the text still goes out once.
        var text = await Eventually.ValueAsync(() => Task.FromResult(host.Twilio.Messages.FirstOrDefault(m => m.To == phone)), m => m is not null,
            TimeSpan.FromSeconds(30), "the SMS is sent");
        Assert.Single(host.Twilio.Messages, m => m.To == phone);
        Assert.Equal("Acme Plumbing here about a leak: we can ring you today 2-4 pm or tomorrow 8-10 am. Reply STOP to opt out.", text!.Body);
    }

    [Fact]
    public async Task ChangedTargets_ApplyToTheNextItemsDueTimes_NotToEarlierItems()
    {
        var manager = await ManagerAsync();
        var csr = await host.UserAsync("csr");
        await SaveAsync(manager, d =>
        {
            d["firstAttemptTarget"] = "00:05:00";
            d["sla"] = "00:15:00";
        });
        var earlier = LoopHost.NewPhone();
        await host.MissAsync(earlier);
        var earlierItem = await host.ItemOfAsync(csr, earlier);

        await SaveAsync(manager, d =>
        {
            d["firstAttemptTarget"] = "00:02:00";
            d["sla"] = "00:07:30";
        });
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(csr, phone);

        var created = item.GetProperty("createdAt").GetDateTimeOffset();
        Assert.Equal(created.AddMinutes(2), item.GetProperty("firstAttemptDueAt").GetDateTimeOffset());
        Assert.Equal(created.AddMinutes(7.5), item.GetProperty("slaDueAt").GetDateTimeOffset());
        var unchanged = await host.ItemOfAsync(csr, earlier);
        Assert.Equal(earlierItem.GetProperty("createdAt").GetDateTimeOffset().AddMinutes(5), unchanged.GetProperty("firstAttemptDueAt").GetDateTimeOffset());
        Assert.Equal(earlierItem.GetProperty("createdAt").GetDateTimeOffset().AddMinutes(15), unchanged.GetProperty("slaDueAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task ChangedCallbackBlocks_AreOfferedByTheAutomaticSms()
    {
        var manager = await ManagerAsync();
        var csr = await host.UserAsync("csr", LoopHost.NewPhone());
        await SaveAsync(manager, d =>
        {
            d["shopName"] = "Acme Plumbing";
            d["smsTemplate"] = "{shop}: sorry we missed your call{issue}. We can call you back {windowA} or {windowB}. Reply with a time. Reply STOP to opt out.";
            d["callbackBlocks"] = new JsonArray("17:00", "16:30");
        });
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var id = (await host.ItemOfAsync(csr, phone)).GetProperty("id").GetGuid();
        await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{id}/claim");
        var call = await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{id}/call"));

        await host.PublishAsync(new CallbackAttemptStatusReported(Guid.NewGuid(), LoopHost.NewSid("CA"), call.GetProperty("csrCallSid").GetString(), "no-answer",
            null, null, null, LoopHost.ShopLine, false, host.Clock.Now));

        var text = await Eventually.ValueAsync(() => Task.FromResult(host.Twilio.Messages.FirstOrDefault(m => m.To == phone)), m => m is not null,
            TimeSpan.FromSeconds(30), "the automatic SMS is sent");
        Assert.Contains("today 4:30 pm or today 5:00 pm", text!.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherReplica_SeesASave_WithoutARestart()
    {
        var manager = await ManagerAsync();
        var replica = host.StartOrchestrator().CreateClient();
        await Eventually.ValueAsync(async () => (await replica.GetAsync("/health/ready")).IsSuccessStatusCode, ready => ready, TimeSpan.FromSeconds(60), "replica ready");

        var saved = await SaveAsync(manager, d => d["afterHoursFirstAttemptBy"] = "07:45");

        var seen = await Eventually.ValueAsync(() => CurrentAsync(manager, replica),
            d => d["version"]!.GetValue<long>() == saved["version"]!.GetValue<long>(), TimeSpan.FromSeconds(5), "the other replica has the new version");
        Assert.Equal("07:45", seen["afterHoursFirstAttemptBy"]!.GetValue<string>());
    }

    [Fact]
    public async Task ConcurrentSavesOfTheSameVersion_OneWins_TheOtherIs409()
    {
        var manager = await ManagerAsync();
        var document = await CurrentAsync(manager);
        var a = document.DeepClone().AsObject();
        var b = document.DeepClone().AsObject();
        a["shopName"] = "Acme Plumbing";
        b["shopName"] = "Acme Plumbing";

        var answers = await Task.WhenAll(PutAsync(manager, a), PutAsync(manager, b));

        Assert.Single(answers, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Single(answers, r => r.StatusCode == HttpStatusCode.Conflict);
        Assert.Equal(document["version"]!.GetValue<long>() + 1, (await CurrentAsync(manager))["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task ChangedHours_ClockTheNextCallAsAfterHours_AndReArmTheEndOfDay()
    {
        var manager = await ManagerAsync();
        var csr = await host.UserAsync("csr");
        // Tuesday 10:00 in Chicago: open by configuration. Saved: Tuesday opens at 11:00 and closes at 16:00.
        await SaveAsync(manager, d =>
        {
            d["openHours"]!["tuesday"] = "11:00-16:00";
            d["firstAttemptTarget"] = "00:05:00";
            d["sla"] = "00:15:00";
        });
        try
        {
            var phone = LoopHost.NewPhone();
            await host.MissAsync(phone, at: LoopHost.TuesdayMorning);
            var item = await host.ItemOfAsync(csr, phone);

            var opening = new DateTimeOffset(2026, 11, 24, 17, 0, 0, TimeSpan.Zero);
            Assert.True(item.GetProperty("afterHours").GetBoolean());
            Assert.Equal(opening, item.GetProperty("clockStartsAt").GetDateTimeOffset());
            Assert.Equal(opening.AddMinutes(5), item.GetProperty("firstAttemptDueAt").GetDateTimeOffset());
            await using var c = new NpgsqlConnection(host.Database.ConnectionString);
            var endOfDay = await c.QuerySingleAsync<DateTime>("SELECT due_at FROM orchestrator.timers WHERE kind = 'end-of-day' AND item_id IS NULL");
            Assert.Equal(new DateTime(2026, 11, 24, 22, 0, 0, DateTimeKind.Utc), DateTime.SpecifyKind(endOfDay, DateTimeKind.Utc));
        }
        finally
        {
            await SaveAsync(manager, d => d["openHours"]!["tuesday"] = "08:00-18:00");
        }
    }
}
