using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using HdrHistogram;
using MassTransit;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.LoadTest;
using RecoveryComms.Telephony.Signatures;

// Load test for the webhooks service (docs/benchmarks.md). Run through ./infra/dev.sh bench, which starts the
// service in Release with the baseline endpoint. Three phases:
//   1. fixed rate (open loop: latency is measured from each request's scheduled send time, so a stall is not hidden)
//      of signed dial-complete (no-answer) webhooks, each a new missed call, with the time from send to the
//      MissedCallCaptured event arriving at a consumer on RabbitMQ;
//   2. and 3. saturation (closed loop, fixed concurrency) of the same webhook and of the baseline endpoint that
//      does one INSERT and nothing else, for the throughput ratio.
var options = args.Select((value, i) => (value, i)).Where(p => p.value.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(p => p.value[2..], p => args[p.i + 1], StringComparer.Ordinal);
string Opt(string name, string fallback) => options.TryGetValue(name, out var v) ? v : fallback;
switch (Opt("scenario", "webhooks"))
{
    case "suppression":
        return await SuppressionLoad.RunAsync(Opt);
    case "intake":
        return await OrchestratorLoad.RunIntakeAsync(Opt);
    case "timers":
        return await OrchestratorLoad.RunTimersAsync(Opt);
    case "console":
        return await ConsoleLoad.RunAsync(Opt);
    case "faults":
        return await RecoveryComms.LoadTest.Faults.FaultSuite.RunAsync(Opt);
}

var url = Opt("url", "http://127.0.0.1:5080");
var token = Opt("token", "dev-auth-token");
var publicBase = Opt("public-base", url);
var rate = int.Parse(Opt("rate", "1000"), CultureInfo.InvariantCulture);
var seconds = int.Parse(Opt("seconds", "30"), CultureInfo.InvariantCulture);
var concurrency = int.Parse(Opt("concurrency", "64"), CultureInfo.InvariantCulture);
var saturationSeconds = int.Parse(Opt("saturation-seconds", "15"), CultureInfo.InvariantCulture);
var rabbit = new Uri(Opt("rabbit", "amqp://guest:guest@127.0.0.1:5672/"));
// The baseline endpoint's table, created in the benchmark's database (it is not part of the production schema).
await BaselineTable.CreateAsync(Opt("postgres", "Host=127.0.0.1;Port=5432;Database=recoverycomms_bench;Username=postgres"));

var sent = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
var endToEnd = new LongConcurrentHistogram(1, TimeStamp.Seconds(60), 3);
var consumed = 0L;
var arrived = 0L;
var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
{
    cfg.Host(rabbit);
    cfg.ReceiveEndpoint($"loadtest-{Guid.NewGuid():N}", endpoint =>
    {
        endpoint.AutoDelete = true;
        endpoint.Durable = false;
        endpoint.PrefetchCount = 512;
        endpoint.Handler<MissedCallCaptured>(context =>
        {
            Interlocked.Increment(ref arrived);
            if (sent.TryRemove(context.Message.CallSid, out var start))
            {
                endToEnd.RecordValue(Math.Max(1, Stopwatch.GetTimestamp() - start));
                Interlocked.Increment(ref consumed);
            }

            return Task.CompletedTask;
        });
    });
});
await bus.StartAsync();

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
{
    BaseAddress = new Uri(url),
    Timeout = TimeSpan.FromSeconds(15),
};

HttpRequestMessage MissedCall(out string callSid)
{
    callSid = "CA" + Guid.NewGuid().ToString("N");
    var from = "+1312555" + Random.Shared.Next(2000, 10000).ToString(CultureInfo.InvariantCulture);
    KeyValuePair<string, string>[] form =
    [
        new("AccountSid", "AC00000000000000000000000000000000"), new("CallSid", callSid), new("CallStatus", "in-progress"),
        new("DialCallStatus", "no-answer"), new("Direction", "inbound"), new("From", from), new("To", "+15550001111"),
    ];
    var request = new HttpRequestMessage(HttpMethod.Post, "/twilio/voice/dial-complete") { Content = new FormUrlEncodedContent(form) };
    request.Headers.Add(TwilioSignature.HeaderName, TwilioSignature.Compute(token, publicBase.TrimEnd('/') + "/twilio/voice/dial-complete", form));
    return request;
}

HttpRequestMessage Baseline() => new(HttpMethod.Post, "/benchmark/baseline")
{
    Content = new FormUrlEncodedContent([new("CallSid", "CA" + Guid.NewGuid().ToString("N")), new("DialCallStatus", "no-answer")]),
};

// Warm-up: JIT, connection pools, prepared plans.
await Task.WhenAll(Enumerable.Range(0, 500).Select(async n => (await http.SendAsync(MissedCall(out _))).Dispose()));
// The warm-up's events drain before the measured phase starts (at most 30 s).
await OpenLoop.UntilAsync(() => Interlocked.Read(ref arrived) >= 500, TimeSpan.FromSeconds(30));
sent.Clear();
endToEnd.Reset();
consumed = 0;

// Phase 1: fixed rate.
var total = rate * seconds;
var run = await OpenLoop.RunAsync(http, rate, total, (_, scheduled) =>
{
    var request = MissedCall(out var callSid);
    sent[callSid] = scheduled;
    return request;
});
var (latency, errors, elapsed) = (run.Latency, run.Errors, run.Elapsed);
await OpenLoop.UntilAsync(() => Interlocked.Read(ref consumed) >= total - errors, TimeSpan.FromSeconds(30));

// Phases 2 and 3: saturation.
async Task<(double PerSecond, double P99)> SaturateAsync(Func<HttpRequestMessage> next)
{
    var histogram = new LongConcurrentHistogram(1, TimeStamp.Seconds(60), 3);
    var done = 0L;
    var stopAt = Stopwatch.GetTimestamp() + Stopwatch.Frequency * saturationSeconds;
    var start = Stopwatch.GetTimestamp();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
    {
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            var begin = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(next());
            histogram.RecordValue(Stopwatch.GetTimestamp() - begin);
            if (response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref done);
            }
        }
    }));
    return (done / Stopwatch.GetElapsedTime(start).TotalSeconds, Ms(histogram, 99));
}

var capture = await SaturateAsync(() => MissedCall(out _));
var baseline = await SaturateAsync(Baseline);
await bus.StopAsync();

static double Ms(HistogramBase histogram, double percentile) => OpenLoop.Ms(histogram, percentile);

var inv = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(inv, $"""
    ## Webhook load test ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores)

    Fixed rate: {rate}/s for {seconds} s ({total} signed dial-complete webhooks, each a new missed call)
    | measure | value |
    |---|---|
    | achieved rate | {total / elapsed.TotalSeconds:F0} webhooks/s |
    | errors | {errors} |
    | latency p50 / p99 / max | {Ms(latency, 50):F1} / {Ms(latency, 99):F1} / {Ms(latency, 100):F1} ms |
    | webhook → MissedCallCaptured consumed, p50 / p99 | {Ms(endToEnd, 50):F1} / {Ms(endToEnd, 99):F1} ms ({consumed} of {total - errors} events) |

    Saturation: {concurrency} concurrent requests for {saturationSeconds} s each
    | endpoint | throughput | p99 |
    |---|---|---|
    | capture (/twilio/voice/dial-complete) | {capture.PerSecond:F0}/s | {capture.P99:F1} ms |
    | baseline (one INSERT) | {baseline.PerSecond:F0}/s | {baseline.P99:F1} ms |
    | ratio | {capture.PerSecond / baseline.PerSecond:P0} | |
    """));
return errors == 0 ? 0 : 1;
