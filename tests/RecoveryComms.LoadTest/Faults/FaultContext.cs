using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using RecoveryComms.Telephony.Signatures;

namespace RecoveryComms.LoadTest.Faults;

/// <summary>
/// What every scenario uses: signed Twilio webhooks through the proxy, the faults themselves through dev.sh's hook
/// (<c>RC_FAULT_HOOK</c>), and counts from PostgreSQL (the owner's connection) and the services' public endpoints.
/// </summary>
internal sealed partial class FaultContext(Func<string, string, string> opt) : IAsyncDisposable
{
    public const string ShopLine = "+15550001111";
    private static readonly int[] ReplicaPorts = [5180, 5181, 5182, 5280, 5281, 5282];
    private readonly string _token = opt("token", "dev-auth-token");
    private readonly string _publicBase = opt("public-base", "http://127.0.0.1:5080").TrimEnd('/');
    private readonly string _hook = Environment.GetEnvironmentVariable("RC_FAULT_HOOK") ?? "";
    // Note: a real area code (Chicago's), so the consent service takes the numbers as valid and its quiet hours are the shop's;
    // the suite's database is new each run, so the numbers need not differ between runs.
    private const int Area = 312;
    private int _phones;

    public HttpClient Http { get; } = new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
    {
        BaseAddress = new Uri(opt("url", "http://127.0.0.1:5080")),
        Timeout = TimeSpan.FromSeconds(30),
    };

    public NpgsqlDataSource Db { get; } = NpgsqlDataSource.Create(opt("postgres", "Host=127.0.0.1;Database=recoverycomms_faults;Username=postgres"));

    public string RunDir { get; } = opt("run-dir", ".dev/run");

    public string OrchestratorUrl { get; } = opt("orchestrator-url", "http://127.0.0.1:5081");

    public string BootstrapKey { get; } = opt("bootstrap-key", "dev-bootstrap-admin-key");

    private string? _adminKey;

    /// <summary>
    /// The suite's admin key, made once with the bootstrap key: the bootstrap key is retired as soon as an admin
    /// exists, so a second scenario could not make its own (401).
    /// </summary>
    public async Task<string> AdminKeyAsync() => _adminKey ??= await OrchestratorLoad.CsrKeyAsync(Http, OrchestratorUrl, BootstrapKey);

    public string SandboxUrl { get; } = opt("sandbox-url", "http://127.0.0.1:5090");

    public int PgSeconds { get; } = int.Parse(opt("pg-seconds", "300"), CultureInfo.InvariantCulture);

    public int Trials { get; } = int.Parse(opt("trials", "1000"), CultureInfo.InvariantCulture);

    /// <summary>The orchestrator's idle-in-transaction bound the suite set (dev.sh exports it to the services and to us).</summary>
    public TimeSpan IdleTimeout { get; } = TimeSpan.Parse(Environment.GetEnvironmentVariable("Postgres__IdleInTransactionTimeout") ?? "00:01:00", CultureInfo.InvariantCulture);

    /// <summary>True when dev.sh owns PostgreSQL and RabbitMQ, so they may be stopped.</summary>
    public bool OwnInfra { get; } = Environment.GetEnvironmentVariable("RC_FAULT_INFRA") == "own";

    /// <summary>A caller number no other scenario of the run uses (312, 555, a counter).</summary>
    public string Phone() => string.Create(CultureInfo.InvariantCulture, $"+1{Area}555{Interlocked.Increment(ref _phones):D4}");

    public static string CallSid() => "CA" + Guid.NewGuid().ToString("N");

    /// <summary>A signed Twilio voice callback; the status code, or 0 when no answer came.</summary>
    public async Task<int> VoiceAsync(string path, string callSid, string from, params (string Name, string Value)[] extra)
    {
        KeyValuePair<string, string>[] form =
        [
            new("AccountSid", "AC00000000000000000000000000000000"), new("CallSid", callSid), new("Direction", "inbound"),
            new("From", from), new("To", ShopLine), .. extra.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)),
        ];
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add(TwilioSignature.HeaderName, TwilioSignature.Compute(_token, _publicBase + path, form));
            using var response = await Http.SendAsync(request);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    /// <summary>A signed inbound text from <paramref name="from"/>; the status code (0: no answer).</summary>
    public async Task<int> SmsAsync(string from, string body)
    {
        const string Path = "/twilio/sms/incoming";
        KeyValuePair<string, string>[] form =
        [
            new("AccountSid", "AC00000000000000000000000000000000"), new("MessageSid", "SM" + Guid.NewGuid().ToString("N")),
            new("From", from), new("To", ShopLine), new("Body", body), new("NumMedia", "0"),
        ];
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add(TwilioSignature.HeaderName, TwilioSignature.Compute(_token, _publicBase + Path, form));
            using var response = await Http.SendAsync(request);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    /// <summary>A missed call as Twilio reports it when the ring group did not answer (<c>dial-complete</c>, no-answer).</summary>
    public Task<int> MissedCallAsync(string callSid, string from) =>
        VoiceAsync("/twilio/voice/dial-complete", callSid, from, ("CallStatus", "in-progress"), ("DialCallStatus", "no-answer"));

    /// <summary>Runs dev.sh's hook (pg-stop, kill orchestrator 1, …); its output, or the exception when it failed.</summary>
    public async Task<string> HookAsync(params string[] args)
    {
        if (_hook.Length == 0)
        {
            throw new InvalidOperationException("RC_FAULT_HOOK is not set: run the suite through ./infra/dev.sh faults");
        }

        var start = new ProcessStartInfo(_hook) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? (await output).Trim()
            : throw new HookFailedException(process.ExitCode, $"hook {string.Join(' ', args)} exited with {process.ExitCode}: {(await error).Trim()}");
    }

    /// <summary>Messages in every <c>*_error</c> queue: rabbitmqctl through the hook, or the services' <c>/metrics</c> when the broker is not ours.</summary>
    public async Task<long> ErrorQueueMessagesAsync()
    {
        if (OwnInfra)
        {
            return long.Parse(await HookAsync("error-queues"), CultureInfo.InvariantCulture);
        }

        var byQueue = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var port in ReplicaPorts)
        {
            try
            {
                var text = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
                foreach (Match m in ErrorQueueGauge().Matches(text))
                {
                    var value = (long)double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                    byQueue[m.Groups[1].Value] = Math.Max(byQueue.GetValueOrDefault(m.Groups[1].Value), value);
                }
            }
            catch (HttpRequestException)
            {
                // A replica restarting: the other one of its service reports the same queues.
            }
        }

        return byQueue.Values.Sum();
    }

    /// <summary>How many recovery items each of <paramref name="phones"/> has (0 for none), and how many of them are of <paramref name="type"/>.</summary>
    public async Task<(Dictionary<string, int> Items, int OfType)> ItemsAsync(IReadOnlyCollection<string> phones, string type = "missed-call")
    {
        await using var c = await Db.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(
            "SELECT phone, count(*)::int, count(*) FILTER (WHERE type = @Type)::int FROM orchestrator.recovery_items WHERE phone = ANY(@Phones) GROUP BY phone", c);
        command.Parameters.AddWithValue("Phones", phones.ToArray());
        command.Parameters.AddWithValue("Type", type);
        var counts = phones.ToDictionary(p => p, _ => 0, StringComparer.Ordinal);
        var ofType = 0;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
            ofType += reader.GetInt32(2);
        }

        return (counts, ofType);
    }

    /// <summary>Each of <paramref name="phones"/>'s recovery item id (the callers of a scenario have one each).</summary>
    public async Task<Dictionary<string, Guid>> ItemIdsAsync(IReadOnlyCollection<string> phones)
    {
        await using var c = await Db.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT phone, id FROM orchestrator.recovery_items WHERE phone = ANY(@Phones)", c);
        command.Parameters.AddWithValue("Phones", phones.ToArray());
        var ids = new Dictionary<string, Guid>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids[reader.GetString(0)] = reader.GetGuid(1);
        }

        return ids;
    }

    /// <summary>A scalar from PostgreSQL, or null while it does not answer.</summary>
    public async Task<long?> CountAsync(string sql, params (string Name, object Value)[] parameters)
    {
        try
        {
            await using var c = await Db.OpenConnectionAsync();
            await using var command = new NpgsqlCommand(sql, c);
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }

    /// <summary>Waits until every phone has at least one item (PostgreSQL may still be coming back); the time it took, or null.</summary>
    public async Task<TimeSpan?> UntilItemsAsync(IReadOnlyCollection<string> phones, TimeSpan timeout)
    {
        var start = Stopwatch.GetTimestamp();
        var done = await OpenLoop.UntilAsync(async () =>
        {
            try
            {
                return (await ItemsAsync(phones)).Items.Values.All(n => n >= 1);
            }
            catch (NpgsqlException)
            {
                return false;
            }
        }, timeout, TimeSpan.FromMilliseconds(500));
        return done ? Stopwatch.GetElapsedTime(start) : null;
    }

    /// <summary>Waits until the proxy answers ready on all three ports (between scenarios); false after a minute.</summary>
    public async Task<bool> StackReadyAsync() =>
        await OpenLoop.UntilAsync(async () =>
        {
            foreach (var port in new[] { 5080, 5081, 5082 })
            {
                try
                {
                    using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/ready"));
                    if (!response.IsSuccessStatusCode)
                    {
                        return false;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1));

    /// <summary>A replica's pid from dev.sh's pid file, or 0.</summary>
    public int Pid(string service, int replica)
    {
        var file = Path.Combine(RunDir, $"{service}-{replica}.pid");
        return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : 0;
    }

    /// <summary>
    /// SIGKILLs a replica through the hook; how long until the supervisor wrote a new pid (null: not within 10 s) and until
    /// the new process answered ready on its own port (null: not within 60 s).
    /// </summary>
    public async Task<(TimeSpan? Restarted, TimeSpan? Ready)> KillAsync(string service, int replica, int port)
    {
        var before = Pid(service, replica);
        var start = Stopwatch.GetTimestamp();
        await HookAsync("kill", service, replica.ToString(CultureInfo.InvariantCulture));
        TimeSpan? restarted = await OpenLoop.UntilAsync(() => Pid(service, replica) is var p && p != 0 && p != before, TimeSpan.FromSeconds(10))
            ? Stopwatch.GetElapsedTime(start) : null;
        TimeSpan? ready = await OpenLoop.UntilAsync(async () =>
        {
            try
            {
                using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/ready"));
                return response.IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200)) ? Stopwatch.GetElapsedTime(start) : null;
        return (restarted, ready);
    }

    public static string Seconds(TimeSpan? d) => d is { } t ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.0} s") : "never (timed out)";

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Db.DisposeAsync();
    }

    [GeneratedRegex("""^recoverycomms_error_queue_messages\{[^}]*queue="([^"]+)"[^}]*\}\s+([0-9.eE+]+)""", RegexOptions.Multiline)]
    private static partial Regex ErrorQueueGauge();
}

/// <summary>The hook refused or failed (exit 3: the fault is not possible here).</summary>
internal sealed class HookFailedException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
