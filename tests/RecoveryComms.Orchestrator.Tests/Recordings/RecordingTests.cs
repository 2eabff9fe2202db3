using System.Net;
using System.Text.Json;
using Dapper;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Orchestrator.Tests.Queue;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Recordings;

/// <summary>Voicemails and recorded callbacks streamed through the orchestrator from Twilio's recording media.</summary>
public sealed class RecordingTests(LoopHost host) : IClassFixture<LoopHost>
{
    private static string NewRecordingSid() => "RE" + Guid.NewGuid().ToString("N");

    private async Task<(LoopHost.User Csr, Guid ItemId, string RecordingSid)> VoicemailAsync()
    {
        var csr = await host.UserAsync("csr", LoopHost.NewPhone());
        var phone = LoopHost.NewPhone();
        var recording = NewRecordingSid();
        await host.PublishAsync(new VoicemailCaptured(Guid.NewGuid(), LoopHost.NewSid("CA"), recording, $"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{recording}",
            14, phone, false, LoopHost.ShopLine, false, false, "Water heater leaking", host.Clock.Now));
        var item = await host.ItemOfAsync(csr, phone, i => i.GetProperty("hasRecording").GetBoolean());
        return (csr, item.GetProperty("id").GetGuid(), recording);
    }

    [Fact]
    public async Task Voicemail_StreamsTheMp3FromTwilioBySid_NotCached()
    {
        var (csr, itemId, recording) = await VoicemailAsync();

        using var response = await host.SendAsync(csr, HttpMethod.Get, $"/api/recoveries/{itemId}/voicemail");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/mpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Equal(SilentMp3.Create(), await response.Content.ReadAsByteArrayAsync());
        Assert.Contains(host.Twilio.Requests(".mp3"), r => r.RequestMessage.Path == $"/2010-04-01/Accounts/AC00000000000000000000000000000001/Recordings/{recording}.mp3");
    }

    [Fact]
    public async Task Voicemail_ItemWithoutOne_Is404Problem()
    {
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = await host.ItemOfAsync(csr, phone);

        using var none = await host.SendAsync(csr, HttpMethod.Get, $"/api/recoveries/{item.GetProperty("id").GetGuid()}/voicemail");
        using var noItem = await host.SendAsync(csr, HttpMethod.Get, $"/api/recoveries/{Guid.NewGuid()}/voicemail");

        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), (none.StatusCode, none.Content.Headers.ContentType?.MediaType));
        Assert.EndsWith("/no-recording", (await LoopHost.ReadAsync<JsonElement>(none)).GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, noItem.StatusCode);
    }

    [Fact]
    public async Task Voicemail_TwilioFailing_Is502RecordingUnavailable_AndDeleted_Is404()
    {
        var (csr, itemId, recording) = await VoicemailAsync();

        host.Twilio.FailRecordingsNext(20, HttpStatusCode.ServiceUnavailable);
        using var failing = await host.SendAsync(csr, HttpMethod.Get, $"/api/recoveries/{itemId}/voicemail");
        host.Twilio.Reset();
        host.Twilio.ForgetRecording(recording);
        using var deleted = await host.SendAsync(csr, HttpMethod.Get, $"/api/recoveries/{itemId}/voicemail");
        host.Twilio.Reset();

        Assert.Equal((HttpStatusCode.BadGateway, "application/problem+json"), (failing.StatusCode, failing.Content.Headers.ContentType?.MediaType));
        Assert.EndsWith("/recording-unavailable", (await LoopHost.ReadAsync<JsonElement>(failing)).GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, deleted.StatusCode);
        Assert.EndsWith("/recording-missing", (await LoopHost.ReadAsync<JsonElement>(deleted)).GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AttemptRecording_PlaysForTheCsrWhoCalledAndManagers_NotForOtherCsrs()
    {
        var csr = await host.UserAsync("csr", LoopHost.NewPhone());
        var other = await host.UserAsync("csr");
        var manager = await host.UserAsync("manager");
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var itemId = (await host.ItemOfAsync(csr, phone)).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/claim")).StatusCode);
        var call = await LoopHost.ReadAsync<JsonElement>(await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/call"));
        var attemptId = call.GetProperty("attemptId").GetGuid();
        var path = $"/api/recoveries/{itemId}/attempts/{attemptId}/recording";

        using var notYet = await host.SendAsync(csr, HttpMethod.Get, path);
        await host.PublishAsync(new CallbackRecordingCaptured(Guid.NewGuid(), call.GetProperty("csrCallSid").GetString()!, NewRecordingSid(),
            "https://api.twilio.com/x", 42, host.Clock.Now));
        var attempt = await Eventually.ValueAsync(async () => (await host.DetailAsync(csr, itemId)).GetProperty("callAttempts")[0],
            a => a.GetProperty("recorded").GetBoolean() && a.GetProperty("recordingSid").ValueKind == JsonValueKind.String, TimeSpan.FromSeconds(20), "the recording is on the attempt");

        using var own = await host.SendAsync(csr, HttpMethod.Get, path);
        using var managers = await host.SendAsync(manager, HttpMethod.Get, path);
        using var others = await host.SendAsync(other, HttpMethod.Get, path);
        using var wrongItem = await host.SendAsync(manager, HttpMethod.Get, $"/api/recoveries/{Guid.NewGuid()}/attempts/{attemptId}/recording");

        Assert.Equal(HttpStatusCode.NotFound, notYet.StatusCode);
        Assert.Equal((HttpStatusCode.OK, "audio/mpeg"), (own.StatusCode, own.Content.Headers.ContentType?.MediaType));
        Assert.True(own.Headers.CacheControl?.NoStore);
        Assert.Equal(SilentMp3.Create(), await own.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, managers.StatusCode);
        Assert.Equal((HttpStatusCode.Forbidden, "application/problem+json"), (others.StatusCode, others.Content.Headers.ContentType?.MediaType));
        Assert.Equal(HttpStatusCode.NotFound, wrongItem.StatusCode);
        Assert.Equal(42, attempt.GetProperty("recordingSeconds").GetInt32());
    }

    [Fact]
    public async Task Voicemail_StoredSidNotARecordingSid_Is404WithoutAskingTwilio()
    {
        var (csr, itemId, _) = await VoicemailAsync();
        await using (var c = new Npgsql.NpgsqlConnection(host.Database.ConnectionString))
        {
            await c.ExecuteAsync("UPDATE orchestrator.recovery_items SET recording_sid = 'RE../../Calls' WHERE id = @Id", new { Id = itemId });
        }

        var before = host.Twilio.Requests(".mp3").Count + host.Twilio.Requests("Calls").Count;
        using var response = await host.SendAsync(csr, HttpMethod.Get, $"/api/recoveries/{itemId}/voicemail");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(before, host.Twilio.Requests(".mp3").Count + host.Twilio.Requests("Calls").Count);
    }
}
