using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace RecoveryComms.LoadTest.Faults;

/// <summary>Replicas SIGKILLed and frozen while timers fire and while the spool drains: everything once, nothing lost.</summary>
internal static class ReplicaScenarios
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed record TimerRow(Guid Id, DateTime FirstDue, DateTime SlaDue, int Backups, int Escalations, DateTime? BackupAt, DateTime? EscalatedAt);

    public static async Task<FaultResult> OrchestratorKillAsync(FaultContext ctx)
    {
        const int Calls = 20;
        var watch = Stopwatch.StartNew();
        var (phones, answered) = await MissedCallsSpreadAsync(ctx, Calls);
        var created = await ctx.UntilItemsAsync(phones, TimeSpan.FromSeconds(20));
        var rows = await TimersAsync(ctx, phones);
        var firstBackup = rows.Min(r => r.FirstDue);
        var firstSla = rows.Min(r => r.SlaDue);
        // The first kill 3 s into the backup triggers, the second 3 s into the escalations: each lands while timers fire.
        await DelayUntilAsync(firstBackup.AddSeconds(3));
        var (restarted1, ready1) = await ctx.KillAsync("orchestrator", 1, 5181);
        await DelayUntilAsync(firstSla.AddSeconds(3));
        var (restarted2, ready2) = await ctx.KillAsync("orchestrator", 1, 5181);
        var lastSla = rows.Max(r => r.SlaDue);
        await OpenLoop.UntilAsync(async () => (await TimersAsync(ctx, phones)).All(r => r.Escalations >= 1), Remaining(lastSla.AddSeconds(60)), TimeSpan.FromSeconds(1));
        await Task.Delay(TimeSpan.FromSeconds(5));
        rows = await TimersAsync(ctx, phones);
        var (items, _) = await ctx.ItemsAsync(phones);
        var back = new[] { restarted1, restarted2 };
        var pass = answered == Calls && created is not null && rows.Count == Calls && items.Values.All(n => n == 1)
            && rows.All(r => r.Backups == 1 && r.Escalations == 1) && back.All(t => t is { } b && b <= TimeSpan.FromSeconds(5));
        return new FaultResult("orchestrator-kill", pass,
            string.Create(Inv, $"{Calls} missed calls over 10 s (loop clocks: first attempt 20 s, SLA 45 s); orchestrator replica 1 SIGKILLed (`kill -9`, pid from `.dev/run/orchestrator-1.pid`) 3 s after the first backup trigger was due and again 3 s after the first escalation was due, both while the others fired."),
            "per item, the `backup-triggered` and `escalated` timeline rows (`orchestrator.item_events`) once every escalation was due and 5 s later; items per caller; the time until the pid file named a new process and until it answered ready on 5181.",
            [
                new("webhooks answered 2xx", $"{answered} of {Calls}"),
                new("callers with exactly one item", $"{items.Values.Count(n => n == 1)} of {Calls}"),
                new("items whose backup trigger happened exactly once", $"{rows.Count(r => r.Backups == 1)} of {Calls} (never: {rows.Count(r => r.Backups == 0)}, twice or more: {rows.Count(r => r.Backups > 1)})"),
                new("items escalated exactly once", $"{rows.Count(r => r.Escalations == 1)} of {Calls} (never: {rows.Count(r => r.Escalations == 0)}, twice or more: {rows.Count(r => r.Escalations > 1)})"),
                new("lag (fired − due), max: backup / escalation", $"{MaxLag(rows, r => r.BackupAt, r => r.FirstDue)} / {MaxLag(rows, r => r.EscalatedAt, r => r.SlaDue)}"),
                new("kill 1: new pid / ready", $"{FaultContext.Seconds(restarted1)} / {FaultContext.Seconds(ready1)}"),
                new("kill 2: new pid / ready", $"{FaultContext.Seconds(restarted2)} / {FaultContext.Seconds(ready2)}"),
            ],
            watch.Elapsed);
    }

    public static async Task<FaultResult> FrozenReplicaAsync(FaultContext ctx)
    {
        const int Calls = 20;
        var watch = Stopwatch.StartNew();
        var (phones, answered) = await MissedCallsSpreadAsync(ctx, Calls);
        var created = await ctx.UntilItemsAsync(phones, TimeSpan.FromSeconds(20));
        var rows = await TimersAsync(ctx, phones);
        var bound = ctx.IdleTimeout + TimeSpan.FromSeconds(15);
        // Frozen just as the first backup trigger is due, so it may hold a claim; thawed once every escalation fired (or at most 30 s after the last was due).
        await DelayUntilAsync(rows.Min(r => r.FirstDue));
        await ctx.HookAsync("freeze", "orchestrator", "1");
        var frozenAt = Stopwatch.GetTimestamp();
        string idleAfterFreeze = "?", idleAfterBound = "?";
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            idleAfterFreeze = await IdleInTransactionAsync(ctx);
            await Task.Delay(ctx.IdleTimeout + TimeSpan.FromSeconds(2));
            idleAfterBound = await IdleInTransactionAsync(ctx);
            await OpenLoop.UntilAsync(async () => (await TimersAsync(ctx, phones)).All(r => r.Escalations >= 1), Remaining(rows.Max(r => r.SlaDue).AddSeconds(30)), TimeSpan.FromSeconds(1));
        }
        finally
        {
            await ctx.HookAsync("thaw", "orchestrator", "1");
        }

        var frozen = Stopwatch.GetElapsedTime(frozenAt);
        // Note: the thawed replica wakes inside whatever it was doing, its session ended by the server: it must not fire anything again.
        await Task.Delay(TimeSpan.FromSeconds(10));
        rows = await TimersAsync(ctx, phones);
        var (items, _) = await ctx.ItemsAsync(phones);
        var lags = rows.Select(r => r.BackupAt - r.FirstDue).Concat(rows.Select(r => r.EscalatedAt - r.SlaDue)).ToList();
        var pass = answered == Calls && created is not null && rows.Count == Calls && items.Values.All(n => n == 1)
            && rows.All(r => r.Backups == 1 && r.Escalations == 1) && lags.All(l => l is { } t && t <= bound);
        return new FaultResult("frozen-replica", pass,
            string.Create(Inv, $"{Calls} missed calls over 10 s (first attempt 20 s, SLA 45 s); orchestrator replica 1 frozen (`kill -STOP`) when the first backup trigger was due, until every escalation had fired, then thawed (`kill -CONT`); `Postgres__IdleInTransactionTimeout` {ctx.IdleTimeout.TotalSeconds:0} s. Whether the freeze caught a claim in its transaction is chance (a claim lasts milliseconds): the figures say; `FrozenSessionTests` holds one on purpose."),
            string.Create(Inv, $"per item, the `backup-triggered` and `escalated` rows and their lag behind the due time (bound: the idle-transaction timeout + 15 s = {bound.TotalSeconds:0} s), counted again 10 s after the thaw."),
            [
                new("webhooks answered 2xx", $"{answered} of {Calls}"),
                new("callers with exactly one item", $"{items.Values.Count(n => n == 1)} of {Calls}"),
                new("items whose backup trigger happened exactly once", $"{rows.Count(r => r.Backups == 1)} of {Calls} (never: {rows.Count(r => r.Backups == 0)}, twice or more: {rows.Count(r => r.Backups > 1)})"),
                new("items escalated exactly once", $"{rows.Count(r => r.Escalations == 1)} of {Calls} (never: {rows.Count(r => r.Escalations == 0)}, twice or more: {rows.Count(r => r.Escalations > 1)})"),
                new("lag (fired − due), max: backup / escalation", $"{MaxLag(rows, r => r.BackupAt, r => r.FirstDue)} / {MaxLag(rows, r => r.EscalatedAt, r => r.SlaDue)}"),
                new("frozen for", FaultContext.Seconds(frozen)),
                new("service sessions idle in a transaction 1 s after the freeze / after the bound + 2 s", $"{idleAfterFreeze} / {idleAfterBound}"),
            ],
            watch.Elapsed);
    }

    public static async Task<FaultResult> WebhooksKillMidSpoolAsync(FaultContext ctx)
    {
        const int Calls = 40;
        var outage = TimeSpan.FromSeconds(20);
        var watch = Stopwatch.StartNew();
        var phones = Enumerable.Range(0, Calls).Select(_ => ctx.Phone()).ToList();
        var sids = phones.Select(_ => FaultContext.CallSid()).ToArray();
        await ctx.HookAsync("pg-stop");
        var stopped = Stopwatch.GetTimestamp();
        // Each call as Twilio sends it: incoming, dial-complete (no-answer), then the final status. Replayed out of order,
        // the final status would record the call as abandoned.
        var codes = (await Task.WhenAll(phones.Select(async (phone, i) => new[]
        {
            await ctx.VoiceAsync("/twilio/voice/incoming", sids[i], phone, ("CallStatus", "ringing")),
            await ctx.MissedCallAsync(sids[i], phone),
            await ctx.VoiceAsync("/twilio/voice/status", sids[i], phone, ("CallStatus", "completed"), ("SequenceNumber", "4"), ("CallDuration", "27")),
        }))).SelectMany(c => c).ToList();
        var left = outage - Stopwatch.GetElapsedTime(stopped);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left);
        }

        await ctx.HookAsync("pg-start");
        // The kill lands when the spool has started to drain: some of the run's callbacks stored, not all.
        const string Stored = "SELECT count(*) FROM webhooks.inbound_webhooks WHERE provider_sid = ANY(@Sids)";
        long? storedAtKill = null;
        await OpenLoop.UntilAsync(async () => (storedAtKill = await ctx.CountAsync(Stored, ("Sids", sids))) > 0, TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(50));
        var (restarted, ready) = await ctx.KillAsync("webhooks", 1, 5180);
        var allIn = await ctx.UntilItemsAsync(phones, TimeSpan.FromMinutes(2));
        await Task.Delay(TimeSpan.FromSeconds(5));
        var (items, missed) = await ctx.ItemsAsync(phones);
        var stored = await ctx.CountAsync(Stored, ("Sids", sids));
        var outcomes = await ctx.CountAsync("SELECT count(*) FROM webhooks.calls WHERE call_sid = ANY(@Sids) AND outcome = 'missed'", ("Sids", sids));
        var parked = await ctx.ErrorQueueMessagesAsync();
        var answered = codes.Count(c => c is >= 200 and < 300);
        var drainedBefore = storedAtKill >= codes.Count;
        var pass = answered == codes.Count && allIn is not null && items.Values.All(n => n == 1) && missed == Calls && outcomes == Calls
            && parked == 0 && restarted <= TimeSpan.FromSeconds(5) && !drainedBefore;
        return new FaultResult("webhooks-kill-mid-spool", pass,
            string.Create(Inv, $"PostgreSQL stopped; {Calls} calls sent as Twilio sends them (incoming, dial-complete no-answer, final status completed: {codes.Count} signed webhooks), answered from the spool; PostgreSQL started after {outage.TotalSeconds:0} s; webhooks replica 1 SIGKILLed as soon as the first spooled callback was stored."),
            "the webhooks' status codes; the run's callbacks stored (`webhooks.inbound_webhooks`) when the kill landed and at the end; each caller's items and their type; each call's outcome in `webhooks.calls`; `*_error` queues.",
            [
                new("webhooks answered 2xx", $"{answered} of {codes.Count}{OutageScenarios.Others(codes)}"),
                new("of which incoming / dial-complete / status", string.Join(" / ", Enumerable.Range(0, 3).Select(r =>
                    $"{codes.Where((_, n) => n % 3 == r).Count(c => c is >= 200 and < 300)} of {Calls}{OutageScenarios.Others(codes.Where((_, n) => n % 3 == r))}"))),
                new("callbacks stored when the kill landed / at the end", $"{storedAtKill?.ToString(Inv) ?? "?"} / {stored?.ToString(Inv) ?? "?"} of {codes.Count}"),
                new("callers with exactly one item", $"{items.Values.Count(n => n == 1)} of {Calls} (none: {items.Values.Count(n => n == 0)}, more than one: {items.Values.Count(n => n > 1)})"),
                new("items that are missed calls (none abandoned)", $"{missed} of {Calls}"),
                new("calls whose outcome is `missed`", $"{outcomes?.ToString(Inv) ?? "?"} of {Calls}"),
                new("PostgreSQL back → every caller has an item", FaultContext.Seconds(allIn)),
                new("killed replica: new pid / ready", $"{FaultContext.Seconds(restarted)} / {FaultContext.Seconds(ready)}"),
                new("messages in `*_error` queues", parked.ToString(Inv)),
            ],
            watch.Elapsed);
    }

    // Note: pg_stat_activity shows another role's session state to a superuser only: dev.sh's hook asks as one.
    private static async Task<string> IdleInTransactionAsync(FaultContext ctx)
    {
        try
        {
            return await ctx.HookAsync("pg-idle-tx");
        }
        catch (HookFailedException)
        {
            return "not known (not this run's PostgreSQL)";
        }
    }

    /// <summary>Missed calls, each a new caller, two a second for 10 s, so their timers fall due over 10 s.</summary>
    private static async Task<(List<string> Phones, int Answered)> MissedCallsSpreadAsync(FaultContext ctx, int calls)
    {
        var phones = new List<string>(calls);
        var answered = 0;
        for (var i = 0; i < calls; i++)
        {
            var phone = ctx.Phone();
            phones.Add(phone);
            if (await ctx.MissedCallAsync(FaultContext.CallSid(), phone) is >= 200 and < 300)
            {
                answered++;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        return (phones, answered);
    }

    private static async Task<List<TimerRow>> TimersAsync(FaultContext ctx, List<string> phones)
    {
        await using var c = await ctx.Db.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT i.id, i.first_attempt_due_at, i.sla_due_at,
                   count(e.id) FILTER (WHERE e.kind = 'backup-triggered')::int, count(e.id) FILTER (WHERE e.kind = 'escalated')::int,
                   min(e.at) FILTER (WHERE e.kind = 'backup-triggered'), min(e.at) FILTER (WHERE e.kind = 'escalated')
            FROM orchestrator.recovery_items i LEFT JOIN orchestrator.item_events e ON e.item_id = i.id
            WHERE i.phone = ANY(@Phones) GROUP BY i.id
            """, c);
        command.Parameters.AddWithValue("Phones", phones.ToArray());
        var rows = new List<TimerRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new TimerRow(reader.GetGuid(0), reader.GetDateTime(1), reader.GetDateTime(2), reader.GetInt32(3), reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetDateTime(5), reader.IsDBNull(6) ? null : reader.GetDateTime(6)));
        }

        return rows;
    }

    private static string MaxLag(List<TimerRow> rows, Func<TimerRow, DateTime?> fired, Func<TimerRow, DateTime> due)
    {
        var lags = rows.Where(r => fired(r) is not null).Select(r => fired(r)!.Value - due(r)).ToList();
        return lags.Count == 0 ? "none fired" : FaultContext.Seconds(lags.Max());
    }

    // Note: the due times are PostgreSQL's clock, the same machine's as ours: waiting on our clock for them is exact enough.
    private static async Task DelayUntilAsync(DateTime utc)
    {
        var wait = Remaining(utc);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }

    private static TimeSpan Remaining(DateTime utc)
    {
        var left = DateTime.SpecifyKind(utc, DateTimeKind.Utc) - TimeProvider.System.GetUtcNow().UtcDateTime;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
