using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace RecoveryComms.LoadTest.Faults;

/// <summary>A customer's STOP racing the loop's one SMS to them: once the STOP is answered, no text leaves for that number.</summary>
internal static class StopVsSendScenario
{
    private const string WindowA = "fault suite 2-4 pm";
    private const int Concurrency = 20;

    public static async Task<FaultResult> RunAsync(FaultContext ctx)
    {
        var trials = ctx.Trials;
        var watch = Stopwatch.StartNew();
        var key = await ctx.AdminKeyAsync();
        var phones = Enumerable.Range(0, trials).Select(_ => ctx.Phone()).ToList();
        await ForEachAsync(phones, async p => await ctx.MissedCallAsync(FaultContext.CallSid(), p));
        var created = await ctx.UntilItemsAsync(phones, TimeSpan.FromMinutes(2));
        var ids = await ctx.ItemIdsAsync(phones);
        // The missed call is the consent the text needs (implied, recorded by the consent service from the call's event).
        var consented = await OpenLoop.UntilAsync(async () => await ctx.CountAsync(
            "SELECT count(*) FROM consent.consent_state WHERE phone = ANY(@Phones) AND channel = 'sms' AND state = 'implied'", ("Phones", phones.ToArray())) >= trials,
            TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(500));
        var claims = new int[trials];
        await ForEachAsync(Enumerable.Range(0, trials).ToList(), async i => claims[i] = await PostAsync(ctx, key, $"/api/recoveries/{ids.GetValueOrDefault(phones[i])}/claim", null));

        // The race: the SMS request and the STOP webhook leave together; the STOP's acknowledgement is when its answer arrived.
        // Note: the send has the longer path (orchestrator, bus, consent's gate, Twilio), so the STOP leaves 0 to 300 ms after it
        // (20 ms steps over the trials): some trials are won by the send, some by the STOP, and the close ones are the race.
        var sms = new int[trials];
        var refusals = new string[trials];
        var stops = new int[trials];
        var acked = new DateTimeOffset[trials];
        var stopSeconds = new double[trials];
        await ForEachAsync(Enumerable.Range(0, trials).ToList(), async i =>
        {
            var send = SendSmsAsync(ctx, key, ids.GetValueOrDefault(phones[i]));
            await Task.Delay(TimeSpan.FromMilliseconds(i % 16 * 20));
            var start = Stopwatch.GetTimestamp();
            stops[i] = await ctx.SmsAsync(phones[i], "STOP");
            acked[i] = TimeProvider.System.GetUtcNow();
            stopSeconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            (sms[i], refusals[i]) = await send;
        });

        // Sends are decided by the consent service behind the bus: every accepted send settles (sent or refused) first.
        var accepted = sms.Count(s => s == 202);
        await OpenLoop.UntilAsync(async () => await ctx.CountAsync(
            "SELECT count(*) FROM consent.sms_sends WHERE phone = ANY(@Phones) AND status NOT IN ('sending', 'unknown')", ("Phones", phones.ToArray())) >= accepted,
            TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));
        await Task.Delay(TimeSpan.FromSeconds(3));
        var texts = (await ctx.Http.GetFromJsonAsync<JsonElement>(new Uri(ctx.SandboxUrl + "/__sandbox/messages")))
            .EnumerateArray()
            .Where(m => m.GetProperty("body").GetString()!.Contains(WindowA, StringComparison.Ordinal))
            .Select(m => (To: m.GetProperty("to").GetString()!, At: m.GetProperty("acceptedAt").GetDateTimeOffset()))
            .ToLookup(m => m.To, m => m.At, StringComparer.Ordinal);
        // Note: only a 2xx acknowledges a STOP; after a 503 Twilio sends it again, so a text then is allowed (and counted apart).
        int before = 0, after = 0, afterRefused = 0, twice = 0;
        for (var i = 0; i < trials; i++)
        {
            var mine = texts[phones[i]].ToList();
            twice += mine.Count > 1 ? 1 : 0;
            before += mine.Count(t => t <= acked[i]);
            if (stops[i] is >= 200 and < 300)
            {
                after += mine.Count(t => t > acked[i]);
            }
            else
            {
                afterRefused += mine.Count(t => t > acked[i]);
            }
        }

        var optedOut = await ctx.CountAsync(
            "SELECT count(*) FROM consent.consent_state WHERE phone = ANY(@Phones) AND channel = 'sms' AND state = 'opted_out'", ("Phones", phones.ToArray()));
        var stopOk = stops.Count(s => s is >= 200 and < 300);
        // Note: a run in which no text left at all raced nothing, so it does not pass either.
        var pass = created is not null && consented && claims.All(c => c == 200) && stopOk == trials && before > 0 && after == 0 && twice == 0 && optedOut == trials;
        var inv = CultureInfo.InvariantCulture;
        return new FaultResult("stop-vs-send", pass,
            string.Create(inv, $"{trials:N0} trials (`RC_FAULT_TRIALS`), {Concurrency} at a time: a missed call makes an item (and the implied consent a text needs, `Consent__ImpliedConsentAllowsRecoveryText=true`), an admin claims it, then `POST /api/recoveries/{{id}}/sms` and a signed inbound `STOP` from the same number leave together, the STOP 0 to 300 ms after the send (20 ms steps), so either may win."),
            "each STOP's status and the time its answer arrived; each send's status; every text the Twilio sandbox accepted for those numbers with the loop SMS's wording, and the exact time it was accepted (the sandbox's `/__sandbox/messages`).",
            [
                new("callers with implied SMS consent (their missed call) before the race", consented ? $"{trials} of {trials}" : "not all within a minute"),
                new("items claimed", $"{claims.Count(c => c == 200)} of {trials}"),
                new("STOPs answered 2xx", $"{stopOk} of {trials}{OutageScenarios.Others(stops)}"),
                new("STOP answer time, median / max", string.Create(inv, $"{stopSeconds.Order().ElementAt(trials / 2):0.00} s / {stopSeconds.Max():0.00} s")),
                new("STOPs not answered 2xx, by how long after the send they left", string.Join(", ", Enumerable.Range(0, trials).Where(i => stops[i] is < 200 or >= 300)
                    .GroupBy(i => i % 16 * 20).OrderBy(g => g.Key).Select(g => $"{g.Key} ms × {g.Count()}")) is { Length: > 0 } late ? late : "none"),
                new("SMS requests accepted (202)", $"{accepted} of {trials}"),
                new("SMS requests refused", string.Join(", ", refusals.Where(r => r.Length > 0).GroupBy(r => r).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} × {g.Count()}")) is { Length: > 0 } list ? list : "none"),
                new("texts accepted by Twilio before the STOP's answer", before.ToString(inv)),
                new("texts accepted after a STOP's 2xx answer (its acknowledgement)", after.ToString(inv)),
                new("texts accepted after a STOP's other answer (not acknowledged; Twilio retries)", afterRefused.ToString(inv)),
                new("numbers opted out of SMS at the end", $"{optedOut?.ToString(inv) ?? "?"} of {trials}"),
                new("numbers texted more than once", twice.ToString(inv)),
            ],
            watch.Elapsed);
    }

    /// <summary>The loop's SMS for an item: the status, and for a refusal its type and reasons ("422 suppressed: opted-out").</summary>
    private static async Task<(int Status, string Refusal)> SendSmsAsync(FaultContext ctx, string key, Guid item)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, ctx.OrchestratorUrl + $"/api/recoveries/{item}/sms")
            {
                Content = JsonContent.Create(new { windowA = WindowA, windowB = "tomorrow 9-11 am" }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await ctx.Http.SendAsync(request);
            var status = (int)response.StatusCode;
            if (status == 202)
            {
                return (status, "");
            }

            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            var type = problem.TryGetProperty("type", out var t) ? t.GetString()?.Split('/')[^1] : null;
            var reasons = problem.TryGetProperty("reasons", out var r) && r.ValueKind == JsonValueKind.Array ? ": " + string.Join("+", r.EnumerateArray().Select(x => x.GetString())) : "";
            return (status, $"{status} {type}{reasons}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return (0, "no answer");
        }
    }

    private static async Task<int> PostAsync(FaultContext ctx, string key, string path, object? body)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, ctx.OrchestratorUrl + path) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await ctx.Http.SendAsync(request);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    private static async Task ForEachAsync<T>(List<T> items, Func<T, Task> body)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i < items.Count)
            {
                await body(items[i]);
            }
        }));
    }
}
