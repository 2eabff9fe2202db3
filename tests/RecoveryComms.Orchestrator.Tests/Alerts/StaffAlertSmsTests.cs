using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RecoveryComms.Consent.Sending;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Contracts.Recovery;
using RecoveryComms.Orchestrator.Tests.Queue;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Alerts;

/// <summary>A shop that texts staff alerts, with Twilio's clock on the test clock (its message list is compared with claim times).</summary>
public sealed class StaffAlertSmsHost : LoopHost
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Recovery:AlertStaffBySms"] = "true",
    };

    public override async Task InitializeAsync()
    {
        Twilio.Clock = () => Clock.Now;
        await base.InitializeAsync();
    }
}

/// <summary>The same shop, not (yet) A2P registered: no text may leave, staff alerts included.</summary>
public sealed class StaffAlertSmsWithoutA2PHost : LoopHost
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Recovery:AlertStaffBySms"] = "true",
        ["Messaging:A2PRegistered"] = "false",
    };
}

/// <summary>
/// A staff alert's SMS goes through the consent service's send gate as a staff message, exactly once: never lost
/// to a crash after its claim, never twice after a lost Twilio answer, never to a phone that replied STOP.
/// </summary>
public sealed class StaffAlertSmsTests(StaffAlertSmsHost host) : IClassFixture<StaffAlertSmsHost>
{
    /// <summary>The default <c>Recovery:StaffAlertSmsLease</c> and a second.</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(1);

    private const string Text = "Escalated: a missed-call has had no callback attempt within the SLA.";

    private async Task<(LoopHost.User Manager, Guid ItemId)> AlertAsync(string smsStatus)
    {
        var manager = await host.UserAsync("manager", LoopHost.NewPhone());
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var itemId = (await host.ItemOfAsync(manager, phone)).GetProperty("id").GetGuid();
        await using var c = new NpgsqlConnection(host.Database.ConnectionString);
        await c.ExecuteAsync(
            """
            INSERT INTO orchestrator.staff_alerts (item_id, trigger, user_id, sent_at, channel, detail, sms_status)
            VALUES (@ItemId, 'escalated', @UserId, @At, 'console+sms', @Text, @Status)
            """, new { ItemId = itemId, UserId = manager.Id, At = host.Clock.Now, Text, Status = smsStatus });
        return (manager, itemId);
    }

    private int TextsTo(string phone) => host.Twilio.Messages.Count(m => m.To == phone);

    private async Task<string?> StatusAsync(Guid itemId)
    {
        await using var c = new NpgsqlConnection(host.Database.ConnectionString);
        return await c.QuerySingleAsync<string?>("SELECT sms_status FROM orchestrator.staff_alerts WHERE item_id = @ItemId AND trigger = 'escalated'", new { ItemId = itemId });
    }

    [Fact]
    public async Task CrashAfterTheClaim_IsSentOnceAfterTheLease()
    {
        var (manager, itemId) = await AlertAsync("pending");
        // What the consumer's claim commits before it calls Twilio; then the process dies.
        await using (var c = new NpgsqlConnection(host.Database.ConnectionString))
        {
            await c.ExecuteAsync(
                """
                UPDATE orchestrator.staff_alerts SET sms_status = 'sending', sms_phone = @Phone, sms_from = @From, sms_claimed_at = @At,
                    sms_check_after = @CheckAfter, sms_sends = 1
                WHERE item_id = @ItemId AND trigger = 'escalated'
                """, new { ItemId = itemId, manager.Phone, From = LoopHost.ShopLine, At = host.Clock.Now, CheckAfter = host.Clock.Now + Lease - TimeSpan.FromSeconds(1) });
        }

        await host.AdvanceAsync(Lease);

        var status = await Eventually.ValueAsync(() => StatusAsync(itemId), s => s?.StartsWith("sent ", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(20), "the alert is sent");
        Assert.Equal(1, TextsTo(manager.Phone!));
        Assert.Equal(status, "sent " + host.Twilio.Messages.Single(m => m.To == manager.Phone).Sid);
        await host.AdvanceAsync(Lease);
        await host.AdvanceAsync(Lease);
        Assert.Equal(status, await StatusAsync(itemId));
        Assert.Equal(1, TextsTo(manager.Phone!));
    }

    [Fact]
    public async Task TwilioAnswerLostAfterTheCreate_IsReconciledFromTheList_NotSentTwice()
    {
        var (manager, itemId) = await AlertAsync("pending");
        host.Twilio.AcceptThenDropNext();

        await host.PublishAsync(new StaffAlertRaised(itemId, itemId, "escalated", manager.Id, manager.Name, Text, host.Clock.Now));
        await Eventually.ValueAsync(() => StatusAsync(itemId), s => s != "pending" && s != "sending", TimeSpan.FromSeconds(20), "the attempt recorded its outcome");
        Assert.Equal(1, TextsTo(manager.Phone!));

        // The gate looks the text up in Twilio's list at its first check; the alert asks the gate again after that.
        await host.AdvanceAsync(TimeSpan.FromSeconds(21)); // StaffAlertSms.UnknownCheckAfter and a second
        await host.ConsentServices.GetRequiredService<SmsSendReconciler>().ReconcileDueAsync(CancellationToken.None);

        var status = await Eventually.ValueAsync(() => StatusAsync(itemId), s => s?.StartsWith("sent ", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(20), "the alert is reconciled");
        Assert.Equal("sent " + host.Twilio.Messages.Single(m => m.To == manager.Phone).Sid, status);
        await host.AdvanceAsync(Lease);
        await host.AdvanceAsync(Lease);
        Assert.Equal(1, TextsTo(manager.Phone!));
        Assert.Equal(status, await StatusAsync(itemId));
    }

    [Fact]
    public async Task RedeliveredEvent_SendsNothingMore()
    {
        var (manager, itemId) = await AlertAsync("pending");
        var raised = new StaffAlertRaised(itemId, itemId, "escalated", manager.Id, manager.Name, Text, host.Clock.Now);

        await host.PublishAsync(raised);
        await Eventually.ValueAsync(() => StatusAsync(itemId), s => s?.StartsWith("sent ", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(20), "the alert is sent");
        await host.PublishAsync(raised);
        await host.AdvanceAsync(Lease);

        // A marker event through the same consumer: once it is handled, the repeat was too.
        var (other, otherItem) = await AlertAsync("pending");
        await host.PublishAsync(new StaffAlertRaised(otherItem, otherItem, "escalated", other.Id, other.Name, Text, host.Clock.Now));
        await Eventually.ValueAsync(() => StatusAsync(otherItem), s => s?.StartsWith("sent ", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(20), "the marker is sent");
        Assert.Equal(1, TextsTo(manager.Phone!));
    }

    [Fact]
    public async Task StaffPhoneThatRepliedStop_IsNotTexted_AndTheAlertSaysWhy()
    {
        var (manager, itemId) = await AlertAsync("pending");
        var stop = host.Services.GetRequiredService<IClientFactory>().CreateRequestClient<RecordOptOut>();
        await stop.GetResponse<OptOutRecorded>(new RecordOptOut(Guid.NewGuid(), LoopHost.NewSid("SM"), manager.Phone!, "STOP", "STOP", false, host.Clock.Now));

        await host.PublishAsync(new StaffAlertRaised(itemId, itemId, "escalated", manager.Id, manager.Name, Text, host.Clock.Now));

        var status = await Eventually.ValueAsync(() => StatusAsync(itemId), s => s?.StartsWith("refused", StringComparison.Ordinal) == true || s?.StartsWith("sent", StringComparison.Ordinal) == true,
            TimeSpan.FromSeconds(20), "the alert's SMS is decided");
        Assert.Equal("refused: opted-out", status);
        Assert.Equal(0, TextsTo(manager.Phone!));
    }

    [Fact]
    public async Task StaffPhoneWithoutConsent_IsTexted_AsAStaffMessage()
    {
        // Staff numbers have no consent record: a staff alert needs none (a customer's text would be refused no-consent).
        var (manager, itemId) = await AlertAsync("pending");

        await host.PublishAsync(new StaffAlertRaised(itemId, itemId, "escalated", manager.Id, manager.Name, Text, host.Clock.Now));

        var status = await Eventually.ValueAsync(() => StatusAsync(itemId), s => s is not ("pending" or "sending" or null), TimeSpan.FromSeconds(20), "the alert's SMS is decided");
        Assert.Equal("sent " + host.Twilio.Messages.Single(m => m.To == manager.Phone).Sid, status);
    }
}

public sealed class StaffAlertSmsWithoutA2PTests(StaffAlertSmsWithoutA2PHost host) : IClassFixture<StaffAlertSmsWithoutA2PHost>
{
    [Fact]
    public async Task ShopNotA2PRegistered_StaffAlertIsNotTexted()
    {
        var manager = await host.UserAsync("manager", LoopHost.NewPhone());
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var itemId = (await host.ItemOfAsync(manager, phone)).GetProperty("id").GetGuid();
        await using (var c = new NpgsqlConnection(host.Database.ConnectionString))
        {
            await c.ExecuteAsync(
                """
                INSERT INTO orchestrator.staff_alerts (item_id, trigger, user_id, sent_at, channel, detail, sms_status)
                VALUES (@ItemId, 'escalated', @UserId, @At, 'console+sms', 'Escalated.', 'pending')
                """, new { ItemId = itemId, UserId = manager.Id, At = host.Clock.Now });
        }

        await host.PublishAsync(new StaffAlertRaised(itemId, itemId, "escalated", manager.Id, manager.Name, "Escalated.", host.Clock.Now));

        var status = await Eventually.ValueAsync(async () =>
        {
            await using var c = new NpgsqlConnection(host.Database.ConnectionString);
            return await c.QuerySingleAsync<string?>("SELECT sms_status FROM orchestrator.staff_alerts WHERE item_id = @ItemId", new { ItemId = itemId });
        }, s => s is not ("pending" or "sending" or null), TimeSpan.FromSeconds(20), "the alert's SMS is decided");
        Assert.Equal("refused: a2p-not-registered", status);
        Assert.DoesNotContain(host.Twilio.Messages, m => m.To == manager.Phone);
    }
}
