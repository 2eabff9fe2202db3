using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using HdrHistogram;
using MassTransit;
using Npgsql;
using RecoveryComms.Contracts.Capture;

namespace RecoveryComms.LoadTest;

/// <summary>
/// The orchestrator's two figures (docs/benchmarks.md):
/// <list type="bullet">
/// <item><c>intake</c>: MissedCallCaptured published on RabbitMQ at a fixed rate (open loop), each a new caller; the time
/// from each event's scheduled publish to its item arriving on the live feed (<c>GET /api/stream</c>), which is
/// after the consent service resolved the contact, the item committed and the feed read it back.</item>
/// <item><c>timers</c>: 100,000 pending timers (items due tomorrow) plus a stream of items whose first-attempt timer
/// falls due over a minute; lag = when the backup trigger's timeline entry was written − when the timer was due.</item>
/// </list>
/// </summary>
internal static class OrchestratorLoad
{
    public static async Task<int> RunIntakeAsync(Func<string, string, string> opt)
    {
        var orchestratorUrl = opt("orchestrator-url", "http://127.0.0.1:5081");
        var rate = int.Parse(opt("rate", "200"), CultureInfo.InvariantCulture);
        var seconds = int.Parse(opt("seconds", "30"), CultureInfo.InvariantCulture);
        var rabbit = new Uri(opt("rabbit", "amqp://guest:guest@127.0.0.1:5672/"));
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var key = await CsrKeyAsync(http, orchestratorUrl, opt("bootstrap-key", "dev-bootstrap-admin-key"));

        var scheduled = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var latency = new LongConcurrentHistogram(1, TimeStamp.Seconds(120), 3);
        var seen = 0L;
        using var stop = new CancellationTokenSource();
        using var feedRequest = new HttpRequestMessage(HttpMethod.Get, orchestratorUrl + "/api/stream");
        feedRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var feed = await http.SendAsync(feedRequest, HttpCompletionOption.ResponseHeadersRead);
        feed.EnsureSuccessStatusCode();
        var reader = Task.Run(async () =>
        {
            using var lines = new StreamReader(await feed.Content.ReadAsStreamAsync());
            string? eventName = null;
            while (!stop.IsCancellationRequested && await lines.ReadLineAsync(stop.Token) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    eventName = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && eventName == "item")
                {
                    var phone = JsonDocument.Parse(line[6..]).RootElement.GetProperty("phone").GetString();
                    if (phone is not null && scheduled.TryRemove(phone, out var start))
                    {
                        latency.RecordValue(Math.Max(1, Stopwatch.GetTimestamp() - start));
                        Interlocked.Increment(ref seen);
                    }
                }
            }
        });

        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(rabbit));
        await bus.StartAsync();
        var run = $"{Random.Shared.Next(100, 999)}";
        string Phone(int i) => "+1" + run + "55" + (i % 100_000).ToString("D5", CultureInfo.InvariantCulture);

        // Warm-up: JIT, pools, prepared statements, the consent service's resolve path; measured phase once they are on the feed.
        for (var i = 0; i < 200; i++)
        {
            var phone = "+1" + run + "44" + i.ToString("D5", CultureInfo.InvariantCulture);
            scheduled[phone] = Stopwatch.GetTimestamp();
            await bus.Publish(Missed(phone));
        }

        await OpenLoop.UntilAsync(() => Interlocked.Read(ref seen) >= 200, TimeSpan.FromSeconds(60));
        latency.Reset();
        Interlocked.Exchange(ref seen, 0);
        var total = rate * seconds;
        var t0 = Stopwatch.GetTimestamp();
        var publishes = new List<Task>(total);
        for (var i = 0; i < total; i++)
        {
            var at = t0 + (long)(i * (double)Stopwatch.Frequency / rate);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), at);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            var phone = Phone(i);
            scheduled[phone] = at;
            publishes.Add(bus.Publish(Missed(phone)));
        }

        await Task.WhenAll(publishes);
        var elapsed = Stopwatch.GetElapsedTime(t0);
        await OpenLoop.UntilAsync(() => Interlocked.Read(ref seen) >= total, TimeSpan.FromSeconds(60));

        await stop.CancelAsync();
        await bus.StopAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            ## Orchestrator intake ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores)

            | measure | value |
            |---|---|
            | published | {total} MissedCallCaptured in {elapsed.TotalSeconds:0.0} s ({total / elapsed.TotalSeconds:0} /s, target {rate}/s) |
            | items seen on the live feed | {Interlocked.Read(ref seen)} of {total} |
            | event → item on the feed p50 / p90 / p99 / max | {OpenLoop.Ms(latency, 50):0.0} / {OpenLoop.Ms(latency, 90):0.0} / {OpenLoop.Ms(latency, 99):0.0} / {OpenLoop.Ms(latency, 100):0.0} ms |
            """));
        return Interlocked.Read(ref seen) == total ? 0 : 1;

        MissedCallCaptured Missed(string phone) =>
            new(NewId.NextGuid(), "CA" + Guid.NewGuid().ToString("N"), phone, false, "+15550001111", false, "no-answer", DateTimeOffset.UtcNow);
    }

    public static async Task<int> RunTimersAsync(Func<string, string, string> opt)
    {
        var connectionString = opt("postgres", "Host=127.0.0.1;Port=5432;Database=recoverycomms_bench;Username=postgres;Password=postgres");
        var pending = int.Parse(opt("pending", "100000"), CultureInfo.InvariantCulture);
        var firing = int.Parse(opt("firing", "6000"), CultureInfo.InvariantCulture);
        var seconds = int.Parse(opt("seconds", "60"), CultureInfo.InvariantCulture);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        // Items and their timers written straight into the orchestrator's schema: the service under test only fires them.
        const string Items = """
            INSERT INTO orchestrator.recovery_items (id, type, status, phone, contact_key, created_at, clock_starts_at, first_attempt_due_at,
                sla_due_at, priority, sort_at, after_hours, updated_at)
            SELECT gen_random_uuid(), 'missed-call', 'needs-callback', NULL, 'bench:' || @Run || ':' || g, now(), now(), @Start + (g * @Step),
                @Start + (g * @Step) + interval '10 minutes', 1, now(), false, now()
            FROM generate_series(0, @N - 1) g
            RETURNING id, first_attempt_due_at
            """;
        await using (var c = await dataSource.OpenConnectionAsync())
        {
            var run = Guid.NewGuid().ToString("N")[..8];
            var sw = Stopwatch.StartNew();
            await using (var far = new NpgsqlCommand(
                $"""
                WITH items AS ({Items.Replace("@Run", "'far" + run + "'", StringComparison.Ordinal)})
                INSERT INTO orchestrator.timers (kind, item_id, due_at) SELECT 'first-attempt-due', id, first_attempt_due_at FROM items
                """, c))
            {
                far.Parameters.AddWithValue("Start", DateTimeOffset.UtcNow.AddDays(1));
                far.Parameters.AddWithValue("Step", TimeSpan.FromMilliseconds(100));
                far.Parameters.AddWithValue("N", pending);
                await far.ExecuteNonQueryAsync();
            }

            Console.Error.WriteLine($"[timers] {pending} pending timers (due tomorrow) written in {sw.Elapsed.TotalSeconds:0.0} s");
            await using var soon = new NpgsqlCommand(
                $"""
                WITH items AS ({Items.Replace("@Run", "'soon" + run + "'", StringComparison.Ordinal)})
                INSERT INTO orchestrator.timers (kind, item_id, due_at) SELECT 'first-attempt-due', id, first_attempt_due_at FROM items
                """, c);
            soon.Parameters.AddWithValue("Start", DateTimeOffset.UtcNow.AddSeconds(5));
            soon.Parameters.AddWithValue("Step", TimeSpan.FromSeconds(seconds) / firing);
            soon.Parameters.AddWithValue("N", firing);
            await soon.ExecuteNonQueryAsync();
            Console.Error.WriteLine($"[timers] {firing} timers due over the next {seconds} s, starting in 5 s; waiting");

            var deadline = DateTime.UtcNow.AddSeconds(seconds + 65);
            long fired = 0;
            while (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
                await using var count = new NpgsqlCommand($"SELECT count(*) FROM orchestrator.item_events e JOIN orchestrator.recovery_items i ON i.id = e.item_id WHERE i.contact_key LIKE 'bench:soon{run}:%' AND e.kind = 'backup-triggered'", c);
                fired = (long)(await count.ExecuteScalarAsync())!;
                if (fired >= firing)
                {
                    break;
                }
            }

            var histogram = new LongHistogram(TimeStamp.Seconds(600), 3);
            await using (var lags = new NpgsqlCommand(
                $"""
                SELECT (extract(epoch FROM e.at - i.first_attempt_due_at) * 1000000)::bigint
                FROM orchestrator.item_events e JOIN orchestrator.recovery_items i ON i.id = e.item_id
                WHERE i.contact_key LIKE 'bench:soon{run}:%' AND e.kind = 'backup-triggered'
                """, c))
            await using (var reader = await lags.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    histogram.RecordValue(Math.Max(1, reader.GetInt64(0)));
                }
            }

            static double Ms(HistogramBase h, double p) => h.TotalCount == 0 ? double.NaN : h.GetValueAtPercentile(p) / 1000.0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                ## Orchestrator timers ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores)

                | measure | value |
                |---|---|
                | pending timers (due tomorrow) | {pending} |
                | timers due during the run | {firing} over {seconds} s ({firing / (double)seconds:0} /s) |
                | fired | {fired} |
                | lag (fired − due) p50 / p90 / p99 / max | {Ms(histogram, 50):0.0} / {Ms(histogram, 90):0.0} / {Ms(histogram, 99):0.0} / {Ms(histogram, 100):0.0} ms |
                """));
            return fired == firing ? 0 : 1;
        }
    }

    internal static async Task<string> CsrKeyAsync(HttpClient http, string orchestratorUrl, string bootstrapKey)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, orchestratorUrl + "/api/users")
        {
            Content = JsonContent.Create(new { name = "load test", role = "admin" }),
        };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bootstrapKey);
        using var created = await http.SendAsync(create);
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiKey").GetString()!;
    }
}
