using System.Net;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Consent.Keywords;
using RecoveryComms.Consent.Ledger;
using RecoveryComms.Consent.Sending;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests.Sending;

public sealed class SmsGateTests(SendingHost host) : IClassFixture<SendingHost>
{
    private SmsGate Gate => host.Services.GetRequiredService<SmsGate>();

    private ConsentStore Store => host.Services.GetRequiredService<ConsentStore>();

    private static SendSms Send(string phone, string body = "Sorry we missed your call. When is a good time to call you back?") =>
        new(Guid.NewGuid(), Guid.NewGuid(), phone, body, DateTimeOffset.UtcNow);

    private IReadOnlyList<WireMock.Logging.ILogEntry> SentTo(string phone) =>
        host.Twilio.Creates("Messages.json").Where(e => e.RequestMessage.Body!.Contains("To=" + Uri.EscapeDataString(phone) + "&", StringComparison.Ordinal)).ToList();

    private Task ExpressAsync(string phone) =>
        Store.ChangeAsync(new ConsentChange(phone, "sms", ConsentStates.Express, "api", null, "tester", "signed", host.Clock.Now), default);

    [Fact]
    public async Task Send_Allowed_ReachesTwilioFromTheShopLineWithAStatusCallback()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = Numbers.Chicago();
        await ExpressAsync(phone);

        var result = await Gate.SendAsync(Send(phone), default);

        Assert.Equal("sent", result.Status);
        var body = Assert.Single(SentTo(phone)).RequestMessage.Body!;
        Assert.Contains("From=" + Uri.EscapeDataString(ConsentHost.ShopLine), body, StringComparison.Ordinal);
        Assert.Contains("StatusCallback=" + Uri.EscapeDataString("https://hooks.shop.test/twilio/sms/status#rc=3&rp=ct,rt,5xx"), body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_SameSendIdTwice_SendsOnce()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = Numbers.Chicago();
        await ExpressAsync(phone);
        var request = Send(phone);

        var first = await Gate.SendAsync(request, default);
        var second = await Gate.SendAsync(request, default);

        Assert.Equal(first.MessageSid, second.MessageSid);
        Assert.Single(SentTo(phone));
    }

    [Fact]
    public async Task Send_AfterStop_IsRefusedAndNothingReachesTwilio()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = Numbers.Chicago();
        await ExpressAsync(phone);
        await host.Services.GetRequiredService<OptOutRecorder>().OptOutAsync("SM" + Guid.NewGuid().ToString("N"), phone, "STOP", null, false, DateTimeOffset.UtcNow, default);

        var result = await Gate.SendAsync(Send(phone), default);

        Assert.Equal(("refused", "opted-out"), (result.Status, result.Reasons.Single()));
        Assert.Empty(SentTo(phone));
    }

    [Fact]
    public async Task Send_Twilio21610_RecordsTheCarrierOptOut()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = Numbers.Chicago();
        await ExpressAsync(phone);
        host.Twilio.FailNext("Messages.json", 1, HttpStatusCode.BadRequest, 21610, "Attempt to send to unsubscribed recipient");

        var result = await Gate.SendAsync(Send(phone), default);

        Assert.Equal(("failed", "twilio-21610"), (result.Status, result.Reasons.Single()));
        Assert.Equal(ConsentStates.OptedOut, await host.ScalarAsync<string>(
            "SELECT state FROM consent.consent_state WHERE phone = @phone AND channel = 'sms'", new { phone }));
        Assert.Equal("carrier-error", await host.ScalarAsync<string>(
            "SELECT source FROM consent.consent_events WHERE phone = @phone ORDER BY id DESC LIMIT 1", new { phone }));
    }

    [Fact]
    public async Task StopWhileAnAllowedSendIsOnItsWay_StopWaitsUntilTheTextHasReachedTwilio()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = Numbers.Chicago();
        await ExpressAsync(phone);
        var recorder = host.Services.GetRequiredService<OptOutRecorder>();
        // The worst interleaving, forced: the gate has decided to send and is about to call Twilio when the STOP comes.
        var hold = host.Holds.HoldNext(phone);
        var send = Task.Run(() => Gate.SendAsync(Send(phone), default));
        await hold.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        var stop = Task.Run(async () =>
        {
            await recorder.OptOutAsync("SM" + Guid.NewGuid().ToString("N"), phone, "STOP", null, false, DateTimeOffset.UtcNow, default);
            return DateTime.UtcNow;
        });

        // Either the STOP is acknowledged while the send is held (the lock is gone: the defect), or it waits for the
        // number's lock. Only then may the send go on.
        await Eventually.ValueAsync(async () => stop.IsCompleted || await LockWaitsAsync() > 0, done => done, TimeSpan.FromSeconds(30), "the STOP is acknowledged or waits for the number");
        hold.Release();
        var acknowledgedAt = await stop;
        var result = await send;

        var sentAt = Assert.Single(SentTo(phone)).RequestMessage.DateTime;
        Assert.True(sentAt <= acknowledgedAt, $"a text reached Twilio at {sentAt:O}, after the STOP was acknowledged at {acknowledgedAt:O}");
        Assert.Equal("sent", result.Status);
        var after = await Gate.SendAsync(Send(phone), default);
        Assert.Equal(("refused", "opted-out"), (after.Status, after.Reasons.Single()));
    }

    private Task<long> LockWaitsAsync() =>
        host.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");

    [Fact]
    public async Task StopRacingASend_TwoHundredTimes_NoTextLeavesAfterTheStopIsAcknowledged()
    {
        host.Clock.Now = ConsentHost.Midday;
        var recorder = host.Services.GetRequiredService<OptOutRecorder>();
        var outcomes = new List<(string Status, DateTime? SentAt, DateTime StopAcknowledgedAt)>();
        foreach (var batch in Enumerable.Range(0, 200).Chunk(20))
        {
            outcomes.AddRange(await Task.WhenAll(batch.Select(async _ =>
            {
                var phone = Numbers.Chicago();
                await ExpressAsync(phone);
                var stop = Task.Run(async () =>
                {
                    await recorder.OptOutAsync("SM" + Guid.NewGuid().ToString("N"), phone, "STOP", null, false, DateTimeOffset.UtcNow, default);
                    return DateTime.UtcNow;
                });
                var send = Task.Run(() => Gate.SendAsync(Send(phone), default));
                var acknowledgedAt = await stop;
                var result = await send;
                var sent = SentTo(phone);
                Assert.True(sent.Count <= 1);
                Assert.Equal(result.Status == "sent", sent.Count == 1);
                return (result.Status, sent.Count == 1 ? sent[0].RequestMessage.DateTime : (DateTime?)null, acknowledgedAt);
            })));
        }

        Assert.All(outcomes, o => Assert.True(o.SentAt is null || o.SentAt <= o.StopAcknowledgedAt,
            $"a text reached Twilio at {o.SentAt:O}, after the STOP was acknowledged at {o.StopAcknowledgedAt:O}"));
        // Both orders happened, so the race was really run (not 200 sends that all finished first, or none).
        Assert.Contains(outcomes, o => o.Status == "sent");
        Assert.Contains(outcomes, o => o.Status == "refused");
    }
}

public sealed class StaffMessageSignatureTests(SendingHost host) : IClassFixture<SendingHost>
{
    private SmsGate Gate => host.Services.GetRequiredService<SmsGate>();

    private static SendStaffSms Staff(string phone) =>
        new(Guid.NewGuid(), Guid.NewGuid(), phone, "Escalated: a missed-call has had no callback attempt within the SLA.", DateTimeOffset.UtcNow);

    private int SentTo(string phone) =>
        host.Twilio.Creates("Messages.json").Count(e => e.RequestMessage.Body!.Contains("To=" + Uri.EscapeDataString(phone) + "&", StringComparison.Ordinal));

    [Theory]
    [InlineData("unsigned")]
    [InlineData("signed-by-another-key")]
    [InlineData("changed-after-signing")]
    public async Task StaffMessage_NotSignedByTheOrchestrator_IsRefused_AndNothingReachesTwilio(string how)
    {
        // Note: a staff message skips customer consent and quiet hours, so only the orchestrator may ask for one.
        host.Clock.Now = ConsentHost.Midday;
        var phone = Numbers.Chicago();
        var request = how switch
        {
            "unsigned" => Staff(phone),
            "signed-by-another-key" => Identity.KeyEventSigners.Forger.Sign(Staff(phone)),
            _ => Identity.KeyEventSigners.Owner.Sign(Staff(Numbers.Chicago())) with { Phone = phone },
        };

        var result = await Gate.SendStaffAsync(request, default);

        Assert.Equal(("refused", "unsigned-staff-message"), (result.Status, result.Reasons.Single()));
        Assert.Equal(0, SentTo(phone));
    }

    [Fact]
    public async Task StaffMessage_SignedByTheOrchestrator_IsSent_WithoutCustomerConsent()
    {
        host.Clock.Now = ConsentHost.Midday;
        var phone = Numbers.Chicago();

        var result = await Gate.SendStaffAsync(Identity.KeyEventSigners.Owner.Sign(Staff(phone)), default);

        Assert.Equal("sent", result.Status);
        Assert.Equal(1, SentTo(phone));
    }
}
