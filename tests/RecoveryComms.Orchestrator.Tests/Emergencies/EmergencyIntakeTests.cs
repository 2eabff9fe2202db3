using System.Net;
using System.Text.Json;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Orchestrator.Tests.Queue;

namespace RecoveryComms.Orchestrator.Tests.Emergencies;

/// <summary>
/// An emergency does not wait for morning: at 02:15 shop time, a voicemail saying "water is pouring through the
/// ceiling", a customer's text saying "no heat" and a callback note saying "gas smell" each put the item at the top
/// of the queue on the emergency clock (2 and 5 minutes), with the phrase and its source on the item and timeline.
/// </summary>
public sealed class EmergencyIntakeTests(LoopHost host) : IClassFixture<LoopHost>
{
    // Tuesday 2026-11-24 02:15 in Chicago (UTC-6): the shop opens at 08:00.
    private static readonly DateTimeOffset Night = new(2026, 11, 24, 8, 15, 0, TimeSpan.Zero);

    private static DateTimeOffset At(JsonElement item, string name) => item.GetProperty(name).GetDateTimeOffset();

    [Fact]
    public async Task A_voicemail_at_night_saying_water_is_pouring_is_due_in_two_minutes_not_at_the_opening()
    {
        host.Clock.Now = Night;
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();
        var sid = await host.MissAsync(phone, Night.AddMinutes(-5), afterHours: true);
        var before = await host.ItemOfAsync(csr, phone);
        Assert.True(At(before, "firstAttemptDueAt") > Night.AddHours(5), "an after-hours item is due in the morning");
        Assert.Equal(JsonValueKind.Null, before.GetProperty("emergency").ValueKind);

        await host.PublishAsync(new VoicemailCaptured(Guid.NewGuid(), sid, LoopHost.NewSid("RE"), "https://api.twilio.com/rec", 30, phone, false,
            LoopHost.ShopLine, true, false, null, Night));
        await host.PublishAsync(new VoicemailTranscribed(Guid.NewGuid(), sid, "RE1", "TR1", "completed", "Water is pouring through the ceiling, please call!",
            LoopHost.ShopLine, true, Night));
        var item = await host.ItemOfAsync(csr, phone, i => i.GetProperty("emergency").ValueKind == JsonValueKind.Object);

        Assert.Equal("water pouring", item.GetProperty("emergency").GetProperty("matched").GetString());
        Assert.Equal("transcript", item.GetProperty("emergency").GetProperty("source").GetString());
        Assert.Equal(Night.AddMinutes(2), At(item, "firstAttemptDueAt"));
        Assert.Equal(Night.AddMinutes(5), At(item, "slaDueAt"));
        Assert.Equal(item.GetProperty("id").GetGuid(), (await host.ItemsAsync(csr))[0].GetProperty("id").GetGuid());
        var timeline = (await host.DetailAsync(csr, item.GetProperty("id").GetGuid())).GetProperty("timeline").EnumerateArray().ToList();
        Assert.Contains(timeline, t => t.GetProperty("kind").GetString() == "emergency-detected"
            && t.GetProperty("detail").GetString()!.Contains("\"water pouring\" in the voicemail", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_customers_text_saying_no_heat_makes_their_item_an_emergency()
    {
        host.Clock.Now = Night;
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone, Night.AddMinutes(-1), afterHours: true);
        await host.ItemOfAsync(csr, phone);

        var sid = LoopHost.NewSid("SM");
        await host.PublishAsync(new InboundSmsReceived(Guid.NewGuid(), sid, phone, LoopHost.ShopLine, "We have NO HEAT and a baby at home", null, 0, true, false, Night));
        var item = await host.ItemOfAsync(csr, phone, i => i.GetProperty("emergency").ValueKind == JsonValueKind.Object);

        Assert.Equal("no heat", item.GetProperty("emergency").GetProperty("matched").GetString());
        Assert.Equal("sms", item.GetProperty("emergency").GetProperty("source").GetString());
        Assert.Equal(Night.AddMinutes(2), At(item, "firstAttemptDueAt"));
    }

    [Fact]
    public async Task A_callback_note_saying_gas_smell_makes_the_callback_an_emergency_and_a_plain_note_does_not()
    {
        host.Clock.Now = Night;
        var csr = await host.UserAsync("csr");
        var (urgent, plain) = (LoopHost.NewPhone(), LoopHost.NewPhone());

        using var created = await host.SendAsync(csr, HttpMethod.Post, "/api/callbacks", new { type = "after-hours-request", phone = urgent, note = "Strong gas smell in the kitchen" });
        using var other = await host.SendAsync(csr, HttpMethod.Post, "/api/callbacks", new { type = "after-hours-request", phone = plain, note = "Wants a quote for a new water heater" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var item = await host.ItemOfAsync(csr, urgent);
        Assert.Equal("gas smell", item.GetProperty("emergency").GetProperty("matched").GetString());
        Assert.Equal("note", item.GetProperty("emergency").GetProperty("source").GetString());
        Assert.Equal(Night.AddMinutes(5), At(item, "slaDueAt"));
        Assert.Equal(JsonValueKind.Null, (await host.ItemOfAsync(csr, plain)).GetProperty("emergency").ValueKind);
    }
}
