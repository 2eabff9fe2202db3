using System.Diagnostics;
using System.Globalization;

namespace RecoveryComms.LoadTest.Faults;

/// <summary>Twilio retrying one callback over and over, concurrently: one stored webhook, one item.</summary>
internal static class StormScenario
{
    public static async Task<FaultResult> DuplicateStormAsync(FaultContext ctx)
    {
        const int Copies = 1000;
        const int Concurrency = 20;
        var watch = Stopwatch.StartNew();
        var phone = ctx.Phone();
        var callSid = FaultContext.CallSid();
        var codes = new int[Copies];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i < Copies)
            {
                codes[i] = await ctx.MissedCallAsync(callSid, phone);
            }
        }));
        var created = await ctx.UntilItemsAsync([phone], TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(5));
        var (items, _) = await ctx.ItemsAsync([phone]);
        var stored = await ctx.CountAsync("SELECT count(*) FROM webhooks.inbound_webhooks WHERE provider_sid = @Sid", ("Sid", callSid));
        var events = await ctx.CountAsync("SELECT count(*) FROM webhooks.outbox WHERE message_type LIKE '%MissedCallCaptured%' AND payload::text LIKE @Sid", ("Sid", "%" + callSid + "%"));
        var occurrences = await ctx.CountAsync("SELECT count(*) FROM orchestrator.recovery_occurrences WHERE call_sid = @Sid", ("Sid", callSid));
        var answered = codes.Count(c => c is >= 200 and < 300);
        var pass = answered == Copies && stored == 1 && events == 1 && items[phone] == 1 && occurrences == 1 && created is not null;
        var inv = CultureInfo.InvariantCulture;
        return new FaultResult("duplicate-storm", pass,
            string.Create(inv, $"the same signed `dial-complete` (no-answer) callback, one CallSid, sent {Copies:N0} times by {Concurrency} concurrent senders through the proxy (so to both webhooks replicas)."),
            "status codes; rows for that CallSid in `webhooks.inbound_webhooks` (unique on provider_sid and kind) and `MissedCallCaptured` rows in `webhooks.outbox`; the caller's items and `orchestrator.recovery_occurrences`.",
            [
                new("callbacks answered 2xx", $"{answered} of {Copies}{OutageScenarios.Others(codes)}"),
                new("stored webhooks", stored?.ToString(inv) ?? "?"),
                new("MissedCallCaptured events in the outbox", events?.ToString(inv) ?? "?"),
                new("recovery items for the caller", items[phone].ToString(inv)),
                new("occurrences recorded for the call", occurrences?.ToString(inv) ?? "?"),
            ],
            watch.Elapsed);
    }
}
