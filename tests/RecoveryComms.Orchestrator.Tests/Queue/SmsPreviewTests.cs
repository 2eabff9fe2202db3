using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Queue;

/// <summary><c>GET /api/recoveries/{id}/sms/preview</c>: exactly what the send would send, and whether it may, without sending.</summary>
public sealed class SmsPreviewTests(LoopHost host) : IClassFixture<LoopHost>
{
    private int TextsTo(string phone) =>
        host.Twilio.Creates("Messages.json").Count(r => System.Web.HttpUtility.ParseQueryString(r.RequestMessage.Body!)["To"] == phone);

    private async Task<JsonElement> PreviewAsync(LoopHost.User user, Guid itemId, string query = "")
    {
        using var response = await host.SendAsync(user, HttpMethod.Get, $"/api/recoveries/{itemId}/sms/preview{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await LoopHost.ReadAsync<JsonElement>(response);
    }

    [Fact]
    public async Task Preview_IsTheBodyTheSendSends_AndSendsNothing()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);

        var preview = await PreviewAsync(csr, itemId, "?windowA=today%202-4%20pm&windowB=tomorrow%208-10%20am&issue=a%20leak");
        Assert.Equal(0, TextsTo(phone));
        Assert.False((await host.DetailAsync(csr, itemId)).GetProperty("item").GetProperty("smsSent").GetBoolean());
        var sent = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/sms",
            new { windowA = "today 2-4 pm", windowB = "tomorrow 8-10 am", issue = "a leak" });
        var after = await PreviewAsync(csr, itemId, "?windowA=today%202-4%20pm&windowB=tomorrow%208-10%20am&issue=a%20leak");

        Assert.True(sent.StatusCode == HttpStatusCode.Accepted, await sent.Content.ReadAsStringAsync());
        var body = (await LoopHost.ReadAsync<JsonElement>(sent)).GetProperty("body").GetString();
        Assert.Equal(body, preview.GetProperty("body").GetString());
        Assert.Equal(body, System.Web.HttpUtility.ParseQueryString(host.Twilio.Creates("Messages.json")[^1].RequestMessage.Body!)["Body"]);
        Assert.Contains("about a leak", body, StringComparison.Ordinal);
        Assert.Equal((true, body!.Length, 1), (preview.GetProperty("gsm7").GetBoolean(), preview.GetProperty("units").GetInt32(), preview.GetProperty("segments").GetInt32()));
        Assert.Equal(("today 2-4 pm", "tomorrow 8-10 am"), (preview.GetProperty("windowA").GetString(), preview.GetProperty("windowB").GetString()));
        Assert.True(preview.GetProperty("allowed").GetBoolean(), preview.ToString());
        Assert.Empty(preview.GetProperty("reasons").EnumerateArray());
        Assert.False(preview.GetProperty("alreadySent").GetBoolean());
        Assert.True(after.GetProperty("alreadySent").GetBoolean());
        Assert.False(after.GetProperty("allowed").GetBoolean());
        Assert.Contains("sms-already-sent", after.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(1, TextsTo(phone));
    }

    [Fact]
    public async Task Preview_WithoutWindows_OffersTheNextTwoCallbackBlocks()
    {
        var (csr, _, itemId) = await host.ClaimedItemAsync(consented: true);

        var preview = await PreviewAsync(csr, itemId);

        // Tuesday 10:00 in Chicago, blocks 10:00 and 14:00: 10:00 is not half an hour away, so today 2 pm and tomorrow 10 am.
        Assert.Equal(("today 2:00 pm", "tomorrow 10:00 am"), (preview.GetProperty("windowA").GetString(), preview.GetProperty("windowB").GetString()));
        Assert.Contains("today 2:00 pm or tomorrow 10:00 am", preview.GetProperty("body").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preview_StoppedNumber_IsNotAllowedWithTheOptOutReason()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);
        var other = await host.UserAsync("csr");
        var stop = host.Services.GetRequiredService<MassTransit.IClientFactory>().CreateRequestClient<RecoveryComms.Contracts.Consent.RecordOptOut>();
        await stop.GetResponse<RecoveryComms.Contracts.Consent.OptOutRecorded>(
            new RecoveryComms.Contracts.Consent.RecordOptOut(Guid.NewGuid(), LoopHost.NewSid("SM"), phone, "STOP", "STOP", false, host.Clock.Now));

        var preview = await PreviewAsync(csr, itemId, "?windowA=today&windowB=tomorrow");
        var notOwner = await PreviewAsync(other, itemId, "?windowA=today&windowB=tomorrow");
        var refused = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/sms", new { windowA = "today", windowB = "tomorrow" });

        Assert.False(preview.GetProperty("allowed").GetBoolean());
        var reasons = preview.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()).ToList();
        Assert.Contains("opted-out", reasons);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(reasons, (await LoopHost.ReadAsync<JsonElement>(refused)).GetProperty("reasons").EnumerateArray().Select(r => r.GetString()).ToList());
        Assert.Contains("not-owner", notOwner.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(0, TextsTo(phone));
    }

    [Fact]
    public async Task Preview_NoConsent_GivesTheSendsReasons_AndOverLongInputIs400()
    {
        var (csr, _, itemId) = await host.ClaimedItemAsync(consented: false);

        var preview = await PreviewAsync(csr, itemId, "?windowA=today&windowB=tomorrow");
        using var longWindow = await host.SendAsync(csr, HttpMethod.Get, $"/api/recoveries/{itemId}/sms/preview?windowA={new string('x', 41)}&windowB=tomorrow");
        using var longIssue = await host.SendAsync(csr, HttpMethod.Get, $"/api/recoveries/{itemId}/sms/preview?issue={new string('x', 61)}");
        using var noItem = await host.SendAsync(csr, HttpMethod.Get, $"/api/recoveries/{Guid.NewGuid()}/sms/preview");

        Assert.Equal(["no-consent"], preview.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal((HttpStatusCode.BadRequest, "application/problem+json"), (longWindow.StatusCode, longWindow.Content.Headers.ContentType?.MediaType));
        Assert.Equal(HttpStatusCode.BadRequest, longIssue.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noItem.StatusCode);
    }

    [Fact]
    public async Task Preview_TooLongForOneSegment_CountsItAndIsNotAllowed()
    {
        var (csr, _, itemId) = await host.ClaimedItemAsync(consented: true);

        var preview = await PreviewAsync(csr, itemId, "?windowA=today%202-4%20pm%20%F0%9F%99%82&windowB=tomorrow");

        Assert.False(preview.GetProperty("gsm7").GetBoolean());
        Assert.True(preview.GetProperty("segments").GetInt32() > 1, preview.ToString());
        Assert.Contains("sms-too-long", preview.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Preview_ItemOfSomeoneElse_GivesACsrNoConsentReasons_AndAManagerThem()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);
        var other = await host.UserAsync("csr");
        var manager = await host.UserAsync("manager");
        var stop = host.Services.GetRequiredService<IClientFactory>().CreateRequestClient<RecordOptOut>();
        await stop.GetResponse<OptOutRecorded>(new RecordOptOut(Guid.NewGuid(), LoopHost.NewSid("SM"), phone, "STOP", "STOP", false, host.Clock.Now));

        var notOwner = await PreviewAsync(other, itemId, "?windowA=today&windowB=tomorrow");
        var managers = await PreviewAsync(manager, itemId, "?windowA=today&windowB=tomorrow");
        var owners = await PreviewAsync(csr, itemId, "?windowA=today&windowB=tomorrow");

        Assert.Equal(["not-owner"], notOwner.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.False(notOwner.GetProperty("allowed").GetBoolean());
        Assert.Equal(owners.GetProperty("body").GetString(), notOwner.GetProperty("body").GetString());
        Assert.Equal(["not-owner", "opted-out"], managers.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(["opted-out"], owners.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Preview_AskedAgainSoon_AsksConsentOncePerNumber_AndAgainOnceTheAnswerIsOld()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync(consented: true);
        var asked = new SuppressionQuestions(phone);
        using var observing = host.ConsentServices.GetRequiredService<IBus>().ConnectConsumeMessageObserver(asked);

        for (var i = 0; i < 5; i++)
        {
            Assert.True((await PreviewAsync(csr, itemId, $"?windowA=today&windowB=tomorrow&issue=leak{i}")).GetProperty("allowed").GetBoolean());
        }

        Assert.Equal(1, asked.Count);
        host.Clock.Now += TimeSpan.FromSeconds(11); // RecoverySms.PreviewCacheFor and a second
        await PreviewAsync(csr, itemId, "?windowA=today&windowB=tomorrow");
        Assert.Equal(2, asked.Count);
    }

    /// <summary>Counts the consent service's SMS suppression questions about one number (before they are answered).</summary>
    private sealed class SuppressionQuestions(string phone) : IConsumeMessageObserver<CheckSuppression>
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task PreConsume(ConsumeContext<CheckSuppression> context)
        {
            if (context.Message.Phone == phone && context.Message.Channel == "sms")
            {
                Interlocked.Increment(ref _count);
            }

            return Task.CompletedTask;
        }

        public Task PostConsume(ConsumeContext<CheckSuppression> context) => Task.CompletedTask;

        public Task ConsumeFault(ConsumeContext<CheckSuppression> context, Exception exception) => Task.CompletedTask;
    }
}
