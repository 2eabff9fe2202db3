using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Queue;

/// <summary>The loop's one SMS through the consent service's gate, the customer's replies and STOP, and dispositions.</summary>
public sealed class SmsAndDispositionTests(LoopHost host) : IClassFixture<LoopHost>
{
    private static Guid Id(JsonElement item) => item.GetProperty("id").GetGuid();

    private int TextsTo(string phone) =>
        host.Twilio.Requests("Messages.json").Count(r => r.RequestMessage.Method == "POST" && System.Web.HttpUtility.ParseQueryString(r.RequestMessage.Body!)["To"] == phone);

    private static readonly object Windows = new { windowA = "today 2-4 pm", windowB = "tomorrow 8-10 am" };

    [Fact]
    public async Task Sms_GoesThroughTheGate_Once_WithTheShopsTemplate()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);

        var sent = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/sms", Windows);
        var again = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/sms", Windows);

        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var body = await LoopHost.ReadAsync<JsonElement>(sent);
        Assert.Equal("sent", body.GetProperty("status").GetString());
        Assert.StartsWith("Acme Plumbing:", body.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Contains("today 2-4 pm", body.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("Reply STOP to opt out.", body.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, body.GetProperty("segments").GetInt32());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(1, TextsTo(phone));
        var item = await host.ItemOfAsync(csr, phone);
        Assert.True(item.GetProperty("smsSent").GetBoolean());
        Assert.Equal("left-message", item.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ConcurrentSmsRequests_SendOneText()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/sms", Windows)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Accepted);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Accepted), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
        Assert.Equal(1, TextsTo(phone));
    }

    [Fact]
    public async Task Sms_ToANumberWithoutConsent_Is422WithTheReasons_AndTheSlotStaysFree()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: false);

        var refused = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/sms", Windows);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var problem = await LoopHost.ReadAsync<JsonElement>(refused);
        Assert.Contains("no-consent", problem.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(0, TextsTo(phone));
        Assert.False((await host.ItemOfAsync(csr, phone)).GetProperty("smsSent").GetBoolean());
    }

    [Fact]
    public async Task Sms_LongerThanOneSegment_IsRefusedWithTheCountedLength()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);

        var tooLong = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/sms",
            new { windowA = "today {between 2 and 4} pm [east]", windowB = "tomorrow ~8-10 am | or later", issue = "the water heater ^ in the basement" });
        var unicode = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/sms", new { windowA = "today 2-4 pm 🙂", windowB = "tomorrow" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooLong.StatusCode);
        var counted = System.Text.RegularExpressions.Regex.Match((await LoopHost.ReadAsync<JsonElement>(tooLong)).GetProperty("detail").GetString()!, "counts ([0-9]+) GSM-7");
        Assert.True(counted.Success);
        Assert.InRange(int.Parse(counted.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 161, 300);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unicode.StatusCode);
        Assert.Contains("UCS-2", (await LoopHost.ReadAsync<JsonElement>(unicode)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, TextsTo(phone));
    }

    [Fact]
    public async Task Stop_EndsTheLoopAtOnce_AndNoTextLeavesAfterIt()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);

        await host.PublishAsync(new InboundSmsReceived(Guid.NewGuid(), LoopHost.NewSid("SM"), phone, LoopHost.ShopLine, "STOP", "STOP", 0, false, false, host.Clock.Now));
        var detail = await Eventually.ValueAsync(() => host.DetailAsync(csr, itemId), d => d.GetProperty("item").GetProperty("status").GetString() == "completed",
            TimeSpan.FromSeconds(20), "the loop ended");
        var sms = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/sms", Windows);

        Assert.Equal("opted-out", detail.GetProperty("item").GetProperty("outcome").GetString());
        Assert.Equal(HttpStatusCode.Conflict, sms.StatusCode);
        Assert.Equal(0, TextsTo(phone));
    }

    [Fact]
    public async Task StopRace_ThroughTheOrchestrator_NoTextLeavesAfterTheStopIsAcknowledged()
    {
        var clients = host.Services.GetRequiredService<MassTransit.IClientFactory>();
        for (var trial = 0; trial < 12; trial++)
        {
            var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);

            // The SMS click and the STOP (the webhooks service's synchronous RecordOptOut) at the same moment.
            var sms = host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/sms", Windows);
            var stop = clients.CreateRequestClient<RecordOptOut>().GetResponse<OptOutRecorded>(
                new RecordOptOut(Guid.NewGuid(), LoopHost.NewSid("SM"), phone, "STOP", "STOP", false, host.Clock.Now));
            await stop;
            var acknowledged = DateTime.UtcNow;
            var answer = await sms;

            var texts = host.Twilio.Requests("Messages.json")
                .Where(r => r.RequestMessage.Method == "POST" && System.Web.HttpUtility.ParseQueryString(r.RequestMessage.Body!)["To"] == phone).ToList();
            Assert.All(texts, t => Assert.True(t.RequestMessage.DateTime <= acknowledged, $"trial {trial}: a text reached Twilio after the STOP was acknowledged"));
            Assert.True(answer.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.UnprocessableEntity, $"trial {trial}: {answer.StatusCode}");
            Assert.Equal(answer.StatusCode == HttpStatusCode.Accepted ? 1 : 0, texts.Count);
        }
    }

    [Fact]
    public async Task Reply_MovesTheItemToWaitingOnCustomer_AndSkipsEscalation()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);

        await host.PublishAsync(new InboundSmsReceived(Guid.NewGuid(), LoopHost.NewSid("SM"), phone, LoopHost.ShopLine, "2pm works, thanks", null, 0, false, false, host.Clock.Now));
        await host.ItemOfAsync(csr, phone, i => i.GetProperty("status").GetString() == "waiting-on-customer");
        await host.AdvanceAsync(TimeSpan.FromMinutes(20));

        var item = await host.ItemOfAsync(csr, phone);
        Assert.Equal("waiting-on-customer", item.GetProperty("status").GetString());
        Assert.Contains((await host.DetailAsync(csr, itemId)).GetProperty("timeline").EnumerateArray(),
            t => t.GetProperty("kind").GetString() == "customer-replied" && t.GetProperty("detail").GetString() == "2pm works, thanks");
    }

    [Fact]
    public async Task Disposition_Validates_CompletesOnce_AndOnlyTheOwnerOrAManagerDisposes()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);
        var other = await host.UserAsync("csr");
        var path = $"/api/recoveries/{itemId}/disposition";

        Assert.Equal(HttpStatusCode.BadRequest, (await host.SendAsync(csr, HttpMethod.Post, path, new { outcome = "sold-a-boat" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.SendAsync(csr, HttpMethod.Post, path, new { outcome = "booked-job", reason = "no-such-reason" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.SendAsync(csr, HttpMethod.Post, path, new { outcome = "reschedule-requested" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.SendAsync(csr, HttpMethod.Post, path, new { outcome = "booked-job", note = new string('x', 201) })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await host.SendAsync(other, HttpMethod.Post, path, new { outcome = "booked-job" })).StatusCode);
        var done = await host.SendAsync(csr, HttpMethod.Post, path, new { outcome = "booked-job", note = "Booked after quoting the flat fee" });
        var twice = await host.SendAsync(csr, HttpMethod.Post, path, new { outcome = "booked-job" });

        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var item = await LoopHost.ReadAsync<JsonElement>(done);
        Assert.Equal("completed", item.GetProperty("status").GetString());
        Assert.Equal("Booked after quoting the flat fee", item.GetProperty("note").GetString());
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.DoesNotContain(await host.ItemsAsync(csr), i => i.GetProperty("phone").GetString() == phone);
    }

    [Fact]
    public async Task RescheduleRequested_CreatesAPromisedCallback_AtThatTime()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);
        var at = host.Clock.Now.AddHours(26);

        var done = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/disposition", new { outcome = "reschedule-requested", rescheduleAt = at });

        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var promised = await host.ItemOfAsync(csr, phone);
        Assert.Equal("promised-update", promised.GetProperty("type").GetString());
        Assert.Equal(at, promised.GetProperty("slaDueAt").GetDateTimeOffset());
        Assert.Equal(at.AddMinutes(-30), promised.GetProperty("firstAttemptDueAt").GetDateTimeOffset());
        Assert.Equal(csr.Id, promised.GetProperty("primaryOwner").GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task DoNotContact_GoesToTheConsentLedger_AndBlocksCallsAndTexts()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);
        var manager = await host.UserAsync("manager");
        await host.KnownToConsentAsync(manager);

        var done = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/disposition", new { outcome = "do-not-contact", note = "Asked us never to call" });
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);

        var consent = await Eventually.ValueAsync(
            async () => await LoopHost.ReadAsync<JsonElement>(await host.Consent.SendAsync(LoopHost.As(manager.ApiKey, HttpMethod.Get, $"/api/consent/{Uri.EscapeDataString(phone)}"))),
            // Note: the answer names do_not_contact before the disposition's row arrives (seen once in CI): wait for the row, by who.
            c => c.ToString().Contains("do_not_contact", StringComparison.Ordinal) && c.ToString().Contains(csr.Name, StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), "the ledger has the CSR's do-not-contact");
        Assert.Contains(csr.Name, consent.ToString(), StringComparison.Ordinal);
        await host.MissAsync(phone);
        var next = await host.ItemOfAsync(csr, phone);
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{Id(next)}/claim")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{Id(next)}/call")).StatusCode);
    }

    [Fact]
    public async Task Dispositions_AreListedWithLabels_AndManagersAddReasons()
    {
        var csr = await host.UserAsync("csr");
        var manager = await host.UserAsync("manager");

        Assert.Equal(HttpStatusCode.Forbidden, (await host.SendAsync(csr, HttpMethod.Post, "/api/dispositions/reasons", new { code = "no-parts", label = "No parts" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await host.SendAsync(manager, HttpMethod.Post, "/api/dispositions/reasons", new { code = "no-parts", label = "Parts on back order" })).StatusCode);
        var codes = await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(csr, HttpMethod.Get, "/api/dispositions"));

        var outcomes = codes.GetProperty("outcomes").EnumerateArray().Select(o => o.GetProperty("code").GetString()).ToList();
        var reasons = codes.GetProperty("reasons").EnumerateArray().Select(o => o.GetProperty("code").GetString()).ToList();
        Assert.Superset(new HashSet<string?> { "booked-job", "booked-estimate", "reschedule-requested", "no-answer-two-attempts", "left-voicemail", "wrong-number", "do-not-contact" }, outcomes.ToHashSet());
        Assert.Superset(new HashSet<string?> { "after-hours-overflow", "price-shopper", "chose-competitor", "out-of-area", "mailbox-full", "emergency-resolved", "warranty-installer", "no-parts" }, reasons.ToHashSet());
    }
}
