using System.Net;
using System.Text.Json;
using Dapper;
using Npgsql;
using RecoveryComms.Orchestrator.Tests.Queue;
using RecoveryComms.Orchestrator.Users;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Attempts;

/// <summary>The loop with a Twilio request timeout short enough for a test to outlast it, and Twilio's clock on the test clock.</summary>
public sealed class AttemptSettleHost : LoopHost
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Twilio:RequestTimeout"] = "00:00:02",
    };

    public override async Task InitializeAsync()
    {
        Twilio.Clock = () => Clock.Now;
        await base.InitializeAsync();
    }
}

/// <summary>
/// Fault injection at each point where a click-to-call used to freeze its item: a crash after the attempt's commit,
/// a SID update that never happens, a CSR's browser dropping the request mid-create, and a create that times out
/// although Twilio placed the call. Each time the attempt settles by its check timer within
/// <c>Recovery:AttemptSettleAfter</c>, the next call is accepted, the SLA escalates when no attempt counted, and
/// Twilio got exactly one create per click.
/// </summary>
public sealed class AttemptSettleTests(AttemptSettleHost host) : IClassFixture<AttemptSettleHost>
{
    /// <summary>The default <c>Recovery:AttemptSettleAfter</c> and a second.</summary>
    private static readonly TimeSpan SettleWindow = TimeSpan.FromSeconds(46);

    private sealed record AttemptRow(Guid Id, string Result, bool Counts, string? CsrCallSid);

    private async Task<List<AttemptRow>> AttemptsAsync(Guid itemId)
    {
        await using var c = new NpgsqlConnection(host.Database.ConnectionString);
        return (await c.QueryAsync<AttemptRow>(
            "SELECT id, result, counts, csr_call_sid AS CsrCallSid FROM orchestrator.call_attempts WHERE item_id = @Id ORDER BY started_at",
            new { Id = itemId })).AsList();
    }

    private Task<List<AttemptRow>> AttemptsUntilAsync(Guid itemId, Func<AttemptRow, bool> until, string because) =>
        Eventually.ValueAsync(() => AttemptsAsync(itemId), rows => rows.Count > 0 && until(rows[^1]), TimeSpan.FromSeconds(20), because);

    private int CreatesTo(string phone) =>
        host.Twilio.Creates("Calls.json").Count(r => System.Web.HttpUtility.ParseQueryString(r.RequestMessage.Body ?? "")["To"] == phone);

    /// <summary>WireMock logs a request once it has answered it, so a count is waited for (and then must not grow).</summary>
    private Task<int> CreatesToAsync(string phone, int expected) =>
        Eventually.ValueAsync(() => Task.FromResult(CreatesTo(phone)), n => n >= expected, TimeSpan.FromSeconds(20), $"{expected} creates to the CSR");

    private async Task<SandboxCall> PlacedCallAsync(LoopHost.User csr) =>
        (await Eventually.ValueAsync(() => Task.FromResult(host.Twilio.Calls.SingleOrDefault(c => c.To == csr.Phone)), c => c is not null,
            TimeSpan.FromSeconds(20), "Twilio placed the call"))!;

    private async Task EscalatesAtTheSlaAsync(LoopHost.User csr, string phone)
    {
        await host.AdvanceAsync(TimeSpan.FromMinutes(15));
        var item = await host.ItemOfAsync(csr, phone, i => i.GetProperty("status").GetString() == "escalated");
        Assert.Equal(0, item.GetProperty("attempts").GetInt32());
    }

    private async Task NextCallIsAcceptedAsync(LoopHost.User csr, Guid itemId, int createsBefore)
    {
        var next = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/call");
        Assert.Equal(HttpStatusCode.Accepted, next.StatusCode);
        Assert.Equal(createsBefore + 1, await CreatesToAsync(csr.Phone!, createsBefore + 1));
    }

    /// <summary>Fault injection: the first update that would store a SID on one of this CSR's attempts fails.</summary>
    private async Task LoseTheFirstSidUpdateAsync(LoopHost.User csr)
    {
        var fault = $"lose_sid_{Guid.NewGuid():N}";
        await using (var c = new NpgsqlConnection(host.Database.ConnectionString))
        {
            // Note: a sequence is not rolled back with the failed statement, so the fault strikes the first SID update only.
            await c.ExecuteAsync(
                $"""
                CREATE SEQUENCE public.{fault};
                CREATE FUNCTION public.{fault}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF OLD.csr_call_sid IS NULL AND NEW.csr_call_sid IS NOT NULL AND NEW.csr_id = '{csr.Id}' AND nextval('public.{fault}') = 1 THEN
                        RAISE EXCEPTION 'fault injected: the SID update is lost';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER {fault} BEFORE UPDATE ON orchestrator.call_attempts FOR EACH ROW EXECUTE FUNCTION public.{fault}();
                """);
        }

    }

    [Fact]
    public async Task CrashAfterTheCommit_NoCallAtTwilio_SettlesAsNotPlaced()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync();
        // What StartAsync commits before it calls Twilio (the attempt, the item's count, the check timer); then the process dies.
        await using (var c = new NpgsqlConnection(host.Database.ConnectionString))
        {
            await c.OpenAsync();
            await using var tx = await c.BeginTransactionAsync();
            await c.ExecuteAsync(
                """
                INSERT INTO orchestrator.call_attempts (id, item_id, csr_id, started_at, csr_phone, shop_line) VALUES (@Id, @ItemId, @CsrId, @At, @CsrPhone, @ShopLine);
                UPDATE orchestrator.recovery_items SET attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, @At), status = 'in-progress' WHERE id = @ItemId;
                INSERT INTO orchestrator.timers (kind, item_id, due_at) VALUES ('attempt-check', @ItemId, @Due);
                """, new { Id = Guid.NewGuid(), ItemId = itemId, CsrId = csr.Id, At = host.Clock.Now, CsrPhone = csr.Phone, ShopLine = LoopHost.ShopLine, Due = host.Clock.Now + SettleWindow - TimeSpan.FromSeconds(1) }, tx);
            await tx.CommitAsync();
        }

        Assert.Equal(HttpStatusCode.Conflict, (await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/call")).StatusCode);

        await host.AdvanceAsync(SettleWindow);

        var settled = (await AttemptsUntilAsync(itemId, a => a.Result == "not-placed", "the attempt settled as not placed"))[^1];
        Assert.False(settled.Counts);
        Assert.Equal(0, CreatesTo(csr.Phone!));
        await EscalatesAtTheSlaAsync(csr, phone);
        await NextCallIsAcceptedAsync(csr, itemId, 0);
    }

    [Fact]
    public async Task CreatedButTheSidUpdateNeverHappens_TheCallIsFoundInTwiliosList_AndCounts()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync();
        await LoseTheFirstSidUpdateAsync(csr);

        await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/call");
        Assert.Null((await AttemptsAsync(itemId))[^1].CsrCallSid);
        var call = await PlacedCallAsync(csr);
        host.Twilio.SetCallStatus(call.Sid, "completed");
        host.Twilio.AddChildCall(call.Sid, phone, "completed");

        await host.AdvanceAsync(SettleWindow);

        var settled = (await AttemptsUntilAsync(itemId, a => a.Result == "answered", "the attempt settled from Twilio's list"))[^1];
        Assert.Equal(call.Sid, settled.CsrCallSid);
        Assert.True(settled.Counts);
        Assert.Equal(1, await CreatesToAsync(csr.Phone!, 1));
        await NextCallIsAcceptedAsync(csr, itemId, 1);
    }

    [Fact]
    public async Task ClientAbortsDuringTheCreate_TheCreateCompletes_AndTheSidIsStored()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync();
        host.Twilio.PlaceCallThenStallNext(1, TimeSpan.FromMilliseconds(1500));

        using (var abort = new CancellationTokenSource())
        {
            var send = host.Orchestrator.SendAsync(LoopHost.As(csr.ApiKey, HttpMethod.Post, $"/api/recoveries/{itemId}/call"), abort.Token);
            // The browser goes away while Twilio's answer is on its way.
            await PlacedCallAsync(csr);
            await abort.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        }

        var call = await PlacedCallAsync(csr);
        var stored = (await AttemptsUntilAsync(itemId, a => a.CsrCallSid is not null, "the SID stored after the client left"))[^1];
        Assert.Equal(call.Sid, stored.CsrCallSid);
        Assert.Equal("ringing-csr", stored.Result);
        // The CSR's phone never answered and its reports were lost: the check asks Twilio.
        host.Twilio.SetCallStatus(call.Sid, "no-answer");

        await host.AdvanceAsync(SettleWindow);

        var settled = (await AttemptsUntilAsync(itemId, a => a.Result == "csr-unreachable", "the attempt settled from Twilio's call"))[^1];
        Assert.False(settled.Counts);
        Assert.Equal(1, await CreatesToAsync(csr.Phone!, 1));
        await EscalatesAtTheSlaAsync(csr, phone);
        await NextCallIsAcceptedAsync(csr, itemId, 1);
    }

    [Fact]
    public async Task CreateTimesOut_ButTwilioPlacedTheCall_ItIsAdoptedFromTheList_WithOneCreate()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync();
        host.Twilio.PlaceCallThenStallNext(1, TimeSpan.FromSeconds(5));

        var response = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/call");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = await LoopHost.ReadAsync<JsonElement>(response);
        Assert.Equal("checking", answer.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("csrCallSid").ValueKind);
        var call = await PlacedCallAsync(csr);
        host.Twilio.SetCallStatus(call.Sid, "completed");
        host.Twilio.AddChildCall(call.Sid, phone, "no-answer");

        await host.AdvanceAsync(SettleWindow);

        var settled = (await AttemptsUntilAsync(itemId, a => a.Result == "no-answer", "the attempt adopted from Twilio's list"))[^1];
        Assert.Equal(call.Sid, settled.CsrCallSid);
        Assert.True(settled.Counts);
        Assert.Equal(1, await CreatesToAsync(csr.Phone!, 1));
        Assert.Equal(1, (await host.ItemOfAsync(csr, phone)).GetProperty("attempts").GetInt32());
        await NextCallIsAcceptedAsync(csr, itemId, 1);
    }

    [Fact]
    public async Task TwilioRefusesTheCreate_SettlesAtOnceAsNotPlaced()
    {
        var (csr, phone, itemId) = await host.ClaimedItemAsync();
        host.Twilio.FailNext("Calls.json", 1, HttpStatusCode.BadRequest, 21211, "Invalid 'To' Phone Number");

        var response = await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/call");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var settled = (await AttemptsAsync(itemId))[^1];
        Assert.Equal("not-placed", settled.Result);
        Assert.Equal(0, (await host.ItemOfAsync(csr, phone)).GetProperty("attempts").GetInt32());
        await NextCallIsAcceptedAsync(csr, itemId, 1);
    }

    [Fact]
    public async Task StatusReport_CarryingTheAttemptId_MatchesAnAttemptWhoseSidWasNeverStored()
    {
        var (csr, _, itemId) = await host.ClaimedItemAsync();
        await LoseTheFirstSidUpdateAsync(csr);
        await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{itemId}/call");
        var attempt = (await AttemptsAsync(itemId))[^1];
        Assert.Null(attempt.CsrCallSid);
        var call = await PlacedCallAsync(csr);

        // As the webhooks service publishes Twilio's report to /twilio/voice/attempt-status?attempt=<id>.
        await host.PublishAsync(new Contracts.Capture.CallbackAttemptStatusReported(
            Guid.NewGuid(), call.Sid, null, "no-answer", null, null, null, LoopHost.ShopLine, false, host.Clock.Now, attempt.Id));

        var settled = (await AttemptsUntilAsync(itemId, a => a.Result == "csr-unreachable", "the report matched by attempt id"))[^1];
        Assert.Equal(call.Sid, settled.CsrCallSid);
    }
}
