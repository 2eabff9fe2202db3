using System.Diagnostics;
using System.Globalization;

namespace RecoveryComms.LoadTest.Faults;

/// <summary>PostgreSQL and RabbitMQ stopped under missed calls: every webhook answered, every caller one item, nothing parked.</summary>
internal static class OutageScenarios
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<FaultResult> PostgresOutageAsync(FaultContext ctx)
    {
        const int Calls = 60;
        var watch = Stopwatch.StartNew();
        var phones = Enumerable.Range(0, Calls).Select(_ => ctx.Phone()).ToList();
        var sends = phones.Select(p => ctx.MissedCallAsync(FaultContext.CallSid(), p)).ToArray();
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        await ctx.HookAsync("pg-stop");
        var stopped = Stopwatch.GetTimestamp();
        var codes = await Task.WhenAll(sends);
        var left = TimeSpan.FromSeconds(ctx.PgSeconds) - Stopwatch.GetElapsedTime(stopped);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left);
        }

        await ctx.HookAsync("pg-start");
        var down = Stopwatch.GetElapsedTime(stopped);
        var (allIn, items, parked, answered, one) = await OutcomeAsync(ctx, phones, codes);
        return new FaultResult("postgres-outage", answered == Calls && one == Calls && allIn is not null && parked == 0,
            string.Create(Inv, $"{Calls} missed calls sent at once as signed `dial-complete` (no-answer) webhooks through the proxy; PostgreSQL stopped (`pg_ctl stop -m fast`) 0.3 s after the first, for {ctx.PgSeconds} s (`RC_FAULT_PG_SECONDS`), then started."),
            "the webhooks' status codes; each caller's recovery items in `orchestrator.recovery_items` within 2 minutes of the restart (and 5 s later); messages in every `*_error` queue (rabbitmqctl).",
            [
                new("webhooks answered 2xx", $"{answered} of {Calls}{Others(codes)}"),
                new("PostgreSQL down", FaultContext.Seconds(down)),
                new("callers with exactly one item", $"{one} of {Calls} (none: {items.Values.Count(n => n == 0)}, more than one: {items.Values.Count(n => n > 1)})"),
                new("restart → every caller has an item", FaultContext.Seconds(allIn)),
                new("messages in `*_error` queues", parked.ToString(Inv)),
            ],
            watch.Elapsed);
    }

    /// <summary>
    /// What both outages count once the dependency is back: how long until every caller had an item, the items per
    /// caller a few seconds later, the parked messages, the webhooks answered 2xx and the callers with exactly one item.
    /// </summary>
    private static async Task<(TimeSpan? AllIn, Dictionary<string, int> Items, long Parked, int Answered, int One)> OutcomeAsync(
        FaultContext ctx, IReadOnlyCollection<string> phones, int[] codes)
    {
        var allIn = await ctx.UntilItemsAsync(phones, TimeSpan.FromMinutes(2));
        // Note: a duplicate would come later than the first item: a few seconds more before the count that decides.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var (items, _) = await ctx.ItemsAsync(phones);
        return (allIn, items, await ctx.ErrorQueueMessagesAsync(), codes.Count(c => c is >= 200 and < 300), items.Values.Count(n => n == 1));
    }

    public static async Task<FaultResult> RabbitMqOutageAsync(FaultContext ctx)
    {
        const int Rate = 5;
        var before = TimeSpan.FromSeconds(10);
        var outage = TimeSpan.FromSeconds(60);
        var after = TimeSpan.FromSeconds(10);
        var total = (int)((before + outage + after).TotalSeconds * Rate);
        var watch = Stopwatch.StartNew();
        var phones = Enumerable.Range(0, total).Select(_ => ctx.Phone()).ToList();
        var faults = Task.Run(async () =>
        {
            await Task.Delay(before);
            await ctx.HookAsync("rmq-stop");
            var stoppedAt = Stopwatch.GetTimestamp();
            await Task.Delay(outage);
            await ctx.HookAsync("rmq-start");
            return Stopwatch.GetElapsedTime(stoppedAt);
        });
        var t0 = Stopwatch.GetTimestamp();
        var sends = new List<Task<int>>(total);
        for (var i = 0; i < total; i++)
        {
            var wait = TimeSpan.FromSeconds(i / (double)Rate) - Stopwatch.GetElapsedTime(t0);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            sends.Add(ctx.MissedCallAsync(FaultContext.CallSid(), phones[i]));
        }

        var codes = await Task.WhenAll(sends);
        var down = await faults;
        var (allIn, items, parked, answered, one) = await OutcomeAsync(ctx, phones, codes);
        return new FaultResult("rabbitmq-outage", answered == total && one == total && allIn is not null && parked == 0,
            string.Create(Inv, $"missed calls as signed webhooks at {Rate}/s for {(before + outage + after).TotalSeconds:0} s ({total}, each a new caller); RabbitMQ stopped (`rabbitmqctl stop_app`) {before.TotalSeconds:0} s in, for {outage.TotalSeconds:0} s, then started (`start_app`)."),
            "the webhooks' status codes; each caller's recovery items within 2 minutes of the broker's return (and 5 s later); messages in every `*_error` queue.",
            [
                new("webhooks answered 2xx", $"{answered} of {total}{Others(codes)}"),
                new("RabbitMQ down", FaultContext.Seconds(down)),
                new("callers with exactly one item", $"{one} of {total} (none: {items.Values.Count(n => n == 0)}, more than one: {items.Values.Count(n => n > 1)})"),
                new("broker back → every caller has an item", FaultContext.Seconds(allIn)),
                new("messages in `*_error` queues", parked.ToString(Inv)),
            ],
            watch.Elapsed);
    }

    /// <summary>The status codes other than 2xx, as ", others: 503 × 2, no answer × 1".</summary>
    internal static string Others(IEnumerable<int> codes)
    {
        var others = codes.Where(c => c is < 200 or >= 300).GroupBy(c => c).OrderBy(g => g.Key)
            .Select(g => string.Create(Inv, $"{(g.Key == 0 ? "no answer" : g.Key.ToString(Inv))} × {g.Count()}")).ToList();
        return others.Count == 0 ? "" : ", others: " + string.Join(", ", others);
    }
}
