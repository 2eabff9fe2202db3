using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace RecoveryComms.LoadTest.Faults;

/// <summary>
/// Twilio slow, failing, rate-limiting and refusing, switched on the dev sandbox for one number at a time
/// (<c>POST /__sandbox/faults</c>): the loop's SMS and click-to-call each end in the right state, only what Twilio
/// cannot have done is tried again, and nothing reaches a customer twice.
/// </summary>
internal static class TwilioFaultsScenario
{
    private const int SmsPerFault = 5;
    private const int CallsPerFault = 3;

    /// <summary>The sandbox's fault names (tools/RecoveryComms.DevTools/Sandbox.cs).</summary>
    private static readonly string[] SmsFaults = ["slow", "500", "created-then-500", "429", "21610", "21211"];
    private static readonly string[] CallFaults = ["slow", "500", "created-then-500", "429", "21211"];

    public static async Task<FaultResult> RunAsync(FaultContext ctx)
    {
        var watch = Stopwatch.StartNew();
        var admin = await ctx.AdminKeyAsync();
        try
        {
            var (smsPass, smsFigures) = await SmsAsync(ctx, admin);
            var (callPass, callFigures) = await CallsAsync(ctx, admin);
            return new FaultResult("twilio-faults", smsPass && callPass,
                string.Create(CultureInfo.InvariantCulture,
                    $"the Twilio sandbox switched, for one number at a time, to answer creates slowly (5 s, created at once), with 500 before acting, with 500 after acting (created), with 429 (20429), 21610 (unsubscribed) or 21211 (invalid 'To'). Loop SMS: {SmsPerFault} callers per fault, each item claimed, then `POST /api/recoveries/{{id}}/sms`. Click-to-call: {CallsPerFault} items per fault, each claimed by its own CSR whose phone (the call's `To`) carries the fault, then `POST /api/recoveries/{{id}}/call`; then, with the fault cleared, a second click where the first did not count (after its settle check for the 500s), and none for 21211, to see the SLA escalate."),
                "per number, every create the sandbox received (`/__sandbox/creates`) and every text or call it holds; each send's row in `consent.sms_sends` (status, reasons, look-ups) and `orchestrator.recovery_sms`; each attempt in `orchestrator.call_attempts` (result, counts, SID); the items' `escalated` timeline rows.",
                [.. smsFigures, .. callFigures],
                watch.Elapsed);
        }
        finally
        {
            await ctx.Http.DeleteAsync(new Uri(ctx.SandboxUrl + "/__sandbox/faults"));
        }
    }

    private static async Task<(bool Pass, List<KeyValuePair<string, string>> Figures)> SmsAsync(FaultContext ctx, string admin)
    {
        var phones = SmsFaults.ToDictionary(f => f, _ => Enumerable.Range(0, SmsPerFault).Select(_ => ctx.Phone()).ToList());
        var all = phones.Values.SelectMany(p => p).ToList();
        var ids = await ItemsForAsync(ctx, all);
        var consented = await OpenLoop.UntilAsync(async () => await ctx.CountAsync(
            "SELECT count(*) FROM consent.consent_state WHERE phone = ANY(@Phones) AND channel = 'sms' AND state = 'implied'", ("Phones", all.ToArray())) >= all.Count,
            TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(500));
        foreach (var (fault, numbers) in phones)
        {
            foreach (var phone in numbers)
            {
                await SetFaultAsync(ctx, "Messages.json", phone, fault);
            }
        }

        var claims = await Task.WhenAll(all.Select(p => StatusAsync(ctx, admin, $"/api/recoveries/{ids.GetValueOrDefault(p)}/claim")));
        var sends = (await Task.WhenAll(all.Select(async p => (Phone: p, Status: await SmsSendAsync(ctx, admin, ids.GetValueOrDefault(p))))))
            .ToDictionary(s => s.Phone, s => s.Status, StringComparer.Ordinal);

        // Settled: every send decided, except a 500 before Twilio acted, which stays 'unknown' until Twilio's list shows
        // nothing for long enough (Consent:SmsSending:GiveUpAfter, 15 min): here it must have been looked up at least once.
        // The orchestrator learns a late decision when it asks the gate again (RecoverySms.RecheckAfter, a minute).
        bool Settled(Dictionary<string, SendRow> rows) => all.All(p => rows.TryGetValue(p, out var r) && r.OrchestratorStatus == r.Status
            && (phones["500"].Contains(p) ? r.Status == "unknown" && r.Checks >= 1 : r.Status is not ("sending" or "unknown")));
        var rows = new Dictionary<string, SendRow>(StringComparer.Ordinal);
        var settled = await OpenLoop.UntilAsync(async () => Settled(rows = await SendRowsAsync(ctx, all)), TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(1));
        await Task.Delay(TimeSpan.FromSeconds(3));
        rows = await SendRowsAsync(ctx, all);
        var creates = await CreatesAsync(ctx, "Messages.json");
        var texts = (await ctx.Http.GetFromJsonAsync<JsonElement>(new Uri(ctx.SandboxUrl + "/__sandbox/messages")))
            .EnumerateArray().Select(m => m.GetProperty("to").GetString()!).ToLookup(t => t, StringComparer.Ordinal);
        var optedOut = await ctx.CountAsync(
            "SELECT count(*) FROM consent.consent_state WHERE phone = ANY(@Phones) AND channel = 'sms' AND state = 'opted_out'", ("Phones", phones["21610"].ToArray()));

        // What each fault must end in: the route's answer (502 when Twilio refused: the loop may try again), the tries
        // Twilio saw, the texts it holds, the send's status and reason (consent's and the orchestrator's).
        var expected = new Dictionary<string, (int Answer, int Tries, int Texts, string Status, string? Reason)>
        {
            ["slow"] = (202, 1, 1, "sent", null),
            ["500"] = (202, 1, 0, "unknown", null),
            ["created-then-500"] = (202, 1, 1, "sent", null),
            ["429"] = (502, 1, 0, "failed", "twilio-20429"),
            ["21610"] = (502, 1, 0, "failed", "twilio-21610"),
            ["21211"] = (502, 1, 0, "failed", "twilio-21211"),
        };
        var pass = consented && claims.All(c => c == 200) && settled && optedOut == SmsPerFault;
        var figures = new List<KeyValuePair<string, string>>
        {
            new("SMS: items claimed", $"{claims.Count(c => c == 200)} of {all.Count}"),
        };
        foreach (var (fault, numbers) in phones)
        {
            var want = expected[fault];
            var tries = numbers.Sum(p => creates[p].Count());
            var held = numbers.Sum(p => texts[p].Count());
            var states = numbers.Select(p => rows.TryGetValue(p, out var r) ? r : null).ToList();
            var right = states.Count(r => r is not null && r.Status == want.Status && (want.Reason is null || r.Reasons.Contains(want.Reason))
                && r.OrchestratorStatus == want.Status && (want.Status != "sent" || r.MessageSid is not null));
            var answers = numbers.Select(p => sends[p]).ToList();
            var ok = answers.All(a => a == want.Answer) && tries == want.Tries * numbers.Count && held == want.Texts * numbers.Count && right == numbers.Count;
            pass &= ok;
            var shown = Summary(states.Select(r => r is null ? "no row"
                : $"{r.Status}{(r.Reasons.Length > 0 ? " " + string.Join('+', r.Reasons) : "")}{(r.OrchestratorStatus != r.Status ? $" (orchestrator: {r.OrchestratorStatus ?? "no row"})" : "")}"));
            figures.Add(new($"SMS, Twilio {Describe(fault)}: answer / Twilio's tries / texts held / end state",
                $"{Summary(answers.Select(a => a.ToString(CultureInfo.InvariantCulture)))} / {tries} / {held} / {shown} (wanted {want.Answer} / {want.Tries * numbers.Count} / {want.Texts * numbers.Count} / {want.Status}{(want.Reason is null ? "" : " " + want.Reason)}{(fault == "500" ? ", looked up, never resent" : "")}){(ok ? "" : " ✗")}"));
        }

        figures.Add(new("SMS: numbers opted out by a 21610", $"{optedOut?.ToString(CultureInfo.InvariantCulture) ?? "?"} of {SmsPerFault}"));
        return (pass, figures);
    }

    private static async Task<(bool Pass, List<KeyValuePair<string, string>> Figures)> CallsAsync(FaultContext ctx, string admin)
    {
        var inv = CultureInfo.InvariantCulture;
        var callers = CallFaults.ToDictionary(f => f, _ => Enumerable.Range(0, CallsPerFault).Select(_ => ctx.Phone()).ToList());
        var all = callers.Values.SelectMany(p => p).ToList();
        var ids = await ItemsForAsync(ctx, all);
        var slaDue = TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(45);

        // One CSR per item, each with a phone of its own: the fault rides on the CSR's leg, the call Twilio is asked for.
        var csrs = new Dictionary<string, (string Key, string Phone)>(StringComparer.Ordinal);
        foreach (var caller in all)
        {
            var phone = ctx.Phone();
            csrs[caller] = (await CsrAsync(ctx, admin, phone), phone);
            await StatusAsync(ctx, csrs[caller].Key, $"/api/recoveries/{ids.GetValueOrDefault(caller)}/claim");
        }

        foreach (var (fault, numbers) in callers)
        {
            foreach (var caller in numbers)
            {
                await SetFaultAsync(ctx, "Calls.json", csrs[caller].Phone, fault);
            }
        }

        var first = (await Task.WhenAll(all.Select(async p => (Caller: p, Answer: await CallAsync(ctx, csrs[p].Key, ids.GetValueOrDefault(p))))))
            .ToDictionary(a => a.Caller, a => a.Answer, StringComparer.Ordinal);
        foreach (var caller in all)
        {
            await ctx.Http.DeleteAsync(new Uri(ctx.SandboxUrl + "/__sandbox/faults?to=" + Uri.EscapeDataString(csrs[caller].Phone)));
        }

        // 429: refused at once (after the client's own retries), so the next click is accepted straight away.
        var second = new Dictionary<string, (int Status, string State)>(StringComparer.Ordinal);
        foreach (var caller in callers["429"])
        {
            second[caller] = await CallAsync(ctx, csrs[caller].Key, ids.GetValueOrDefault(caller));
        }

        // 500 before acting: the attempt is live ('checking') until its settle check finds no call at Twilio, then it no longer counts.
        var unknown = callers["500"].Select(p => ids.GetValueOrDefault(p)).ToArray();
        var released = await OpenLoop.UntilAsync(async () => await ctx.CountAsync(
            "SELECT count(*) FROM orchestrator.call_attempts WHERE item_id = ANY(@Ids) AND result = 'not-placed' AND NOT counts", ("Ids", unknown)) >= unknown.Length,
            TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(1));
        foreach (var caller in callers["500"])
        {
            second[caller] = await CallAsync(ctx, csrs[caller].Key, ids.GetValueOrDefault(caller));
        }

        // 21211: nothing counted, so the SLA must escalate the item.
        var refused = callers["21211"].Select(p => ids.GetValueOrDefault(p)).ToArray();
        var wait = slaDue - TimeProvider.System.GetUtcNow();
        var escalated = await OpenLoop.UntilAsync(async () => await ctx.CountAsync(
            "SELECT count(DISTINCT item_id) FROM orchestrator.item_events WHERE item_id = ANY(@Ids) AND kind = 'escalated'", ("Ids", refused)) >= refused.Length,
            (wait > TimeSpan.Zero ? wait : TimeSpan.Zero) + TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        // The adopted SIDs of created-then-500 come from the settle check too (it runs Recovery:AttemptSettleAfter after the click).
        var adoptIds = callers["created-then-500"].Select(p => ids.GetValueOrDefault(p)).ToArray();
        var adopted = await OpenLoop.UntilAsync(async () => await ctx.CountAsync(
            "SELECT count(*) FROM orchestrator.call_attempts WHERE item_id = ANY(@Ids) AND csr_call_sid IS NOT NULL AND counts", ("Ids", adoptIds)) >= adoptIds.Length,
            TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));

        var creates = await CreatesAsync(ctx, "Calls.json");
        var attempts = await AttemptsAsync(ctx, [.. ids.Values]);
        var pass = released && escalated && adopted;
        var figures = new List<KeyValuePair<string, string>>();
        foreach (var (fault, numbers) in callers)
        {
            // Wanted per item: the first click's answer, Twilio's tries on the CSR's number (first click), and the attempts' end.
            var (answer, tries, counted, again) = fault switch
            {
                "slow" => ("202 placed", 1, 1, (int?)null),
                "500" => ("202 checking", 1, 0, 202),
                "created-then-500" => ("202 checking", 1, 1, null),
                "429" => ("502 call-not-placed", 4, 0, 202),
                _ => ("502 call-not-placed", 1, 0, null),
            };
            var answers = numbers.Select(p => $"{first[p].Status} {first[p].State}").ToList();
            var seen = numbers.Select(p => creates[csrs[p].Phone].Count()).ToList();
            var secondOk = numbers.All(p => again is null ? !second.ContainsKey(p) : second.TryGetValue(p, out var s) && s.Status == again);
            var rows = numbers.Select(p => attempts.GetValueOrDefault(ids.GetValueOrDefault(p)) ?? []).ToList();
            // The first click's attempt: counted (with a SID) or not ('not-placed'); a second click adds one placed attempt.
            var endOk = rows.All(r => r.Count(a => a.Counts) == counted + (again is null ? 0 : 1)
                && !r.Any(a => a.Counts && a.Sid is null)
                && r.Count(a => !a.Counts && a.Result == "not-placed") == 1 - counted);
            var ok = answers.All(a => a == answer) && seen.Sum() == tries * numbers.Count + (again is null ? 0 : numbers.Count) && secondOk && endOk;
            pass &= ok;
            figures.Add(new($"call, Twilio {Describe(fault)}: first click / Twilio's tries / attempts that count / second click",
                string.Create(inv, $"{Summary(answers)} / {seen.Sum()} / {rows.Sum(r => r.Count(a => a.Counts))}{(again is null ? " / —" : " / " + Summary(numbers.Select(p => second.TryGetValue(p, out var s) ? $"{s.Status} {s.State}" : "none")))}") +
                string.Create(inv, $" (wanted {answer} / {tries * numbers.Count + (again is null ? 0 : numbers.Count)} / {(counted + (again is null ? 0 : 1)) * numbers.Count}{(again is null ? "" : $" / {again} placed")}){(ok ? "" : " ✗")}")));
        }

        figures.Add(new("call: 500 attempts released by their settle check", released ? $"{unknown.Length} of {unknown.Length}" : "not within 90 s"));
        figures.Add(new("call: 21211 items escalated by the SLA (no attempt counted)", escalated ? $"{refused.Length} of {refused.Length}" : "not all within 30 s of the SLA"));
        return (pass, figures);
    }

    private static string Describe(string fault) => fault switch
    {
        "slow" => "slow (5 s)",
        "500" => "500 before acting",
        "created-then-500" => "500 after acting",
        "429" => "429",
        _ => fault,
    };

    private static string Summary(IEnumerable<string> values) =>
        string.Join(", ", values.GroupBy(v => v).Select(g => $"{g.Key} × {g.Count()}"));

    private static async Task SetFaultAsync(FaultContext ctx, string resource, string to, string fault)
    {
        using var response = await ctx.Http.PostAsJsonAsync(new Uri(ctx.SandboxUrl + "/__sandbox/faults"), new { resource, to, fault, delayMs = 5000 });
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"the sandbox refused fault {fault} on {resource}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Every create the sandbox received for <paramref name="resource"/>, by the number it was to.</summary>
    private static async Task<ILookup<string, int>> CreatesAsync(FaultContext ctx, string resource) =>
        (await ctx.Http.GetFromJsonAsync<JsonElement>(new Uri(ctx.SandboxUrl + "/__sandbox/creates")))
            .EnumerateArray()
            .Where(c => c.GetProperty("resource").GetString() == resource)
            .ToLookup(c => c.GetProperty("to").GetString() ?? "", c => c.GetProperty("status").GetInt32(), StringComparer.Ordinal);

    /// <summary>Missed calls from <paramref name="phones"/>, and each caller's item once it exists.</summary>
    private static async Task<Dictionary<string, Guid>> ItemsForAsync(FaultContext ctx, List<string> phones)
    {
        foreach (var phone in phones)
        {
            await ctx.MissedCallAsync(FaultContext.CallSid(), phone);
        }

        _ = await ctx.UntilItemsAsync(phones, TimeSpan.FromMinutes(1))
            ?? throw new InvalidOperationException($"not every one of {phones.Count} missed calls became an item within a minute");
        return await ctx.ItemIdsAsync(phones);
    }

    private sealed record SendRow(string Status, string[] Reasons, string? MessageSid, int Checks, string? OrchestratorStatus);

    private static async Task<Dictionary<string, SendRow>> SendRowsAsync(FaultContext ctx, List<string> phones)
    {
        await using var c = await ctx.Db.OpenConnectionAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            """
            SELECT s.phone, s.status, s.reasons, s.message_sid, s.checks, r.status
            FROM consent.sms_sends s LEFT JOIN orchestrator.recovery_sms r ON r.send_id = s.id
            WHERE s.phone = ANY(@Phones)
            """, c);
        command.Parameters.AddWithValue("Phones", phones.ToArray());
        var rows = new Dictionary<string, SendRow>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows[reader.GetString(0)] = new SendRow(reader.GetString(1), reader.IsDBNull(2) ? [] : reader.GetFieldValue<string[]>(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetString(5));
        }

        return rows;
    }

    private sealed record AttemptRow(string Result, bool Counts, string? Sid);

    private static async Task<Dictionary<Guid, List<AttemptRow>>> AttemptsAsync(FaultContext ctx, Guid[] items)
    {
        await using var c = await ctx.Db.OpenConnectionAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT item_id, result, counts, csr_call_sid FROM orchestrator.call_attempts WHERE item_id = ANY(@Ids)", c);
        command.Parameters.AddWithValue("Ids", items);
        var rows = new Dictionary<Guid, List<AttemptRow>>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var id = reader.GetGuid(0);
            (rows.TryGetValue(id, out var list) ? list : rows[id] = []).Add(new AttemptRow(reader.GetString(1), reader.GetBoolean(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return rows;
    }

    private static async Task<string> CsrAsync(FaultContext ctx, string admin, string phone)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ctx.OrchestratorUrl + "/api/users")
        {
            Content = JsonContent.Create(new { name = "fault suite CSR " + phone[^4..], role = "csr", phone }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        using var response = await ctx.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiKey").GetString()!;
    }

    /// <summary>A click-to-call: the status and the attempt's state (<c>placed</c>, <c>checking</c>) or the refusal's type.</summary>
    private static async Task<(int Status, string State)> CallAsync(FaultContext ctx, string key, Guid item)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ctx.OrchestratorUrl + $"/api/recoveries/{item}/call");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await ctx.Http.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var state = body.TryGetProperty("state", out var s) ? s.GetString()
            : body.TryGetProperty("type", out var t) ? t.GetString()?.Split('/')[^1] : null;
        return ((int)response.StatusCode, state ?? "?");
    }

    private static async Task<int> SmsSendAsync(FaultContext ctx, string key, Guid item)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ctx.OrchestratorUrl + $"/api/recoveries/{item}/sms")
        {
            Content = JsonContent.Create(new { windowA = "fault suite 9-11 am", windowB = "tomorrow 1-3 pm" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await ctx.Http.SendAsync(request);
        return (int)response.StatusCode;
    }

    private static async Task<int> StatusAsync(FaultContext ctx, string key, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ctx.OrchestratorUrl + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await ctx.Http.SendAsync(request);
        return (int)response.StatusCode;
    }
}
