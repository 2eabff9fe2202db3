using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using HdrHistogram;

namespace RecoveryComms.LoadTest;

/// <summary>
/// Suppression checks (<c>GET /api/suppression</c>) at a fixed rate against the consent service, with a real
/// service key (the route is the contract's "services") made through the orchestrator's bootstrap key. Open loop: latency from each scheduled send time.
/// </summary>
internal static class SuppressionLoad
{
    public static async Task<int> RunAsync(Func<string, string, string> opt)
    {
        var consentUrl = opt("consent-url", "http://127.0.0.1:5082");
        var orchestratorUrl = opt("orchestrator-url", "http://127.0.0.1:5081");
        var rate = int.Parse(opt("rate", "500"), CultureInfo.InvariantCulture);
        var seconds = int.Parse(opt("seconds", "30"), CultureInfo.InvariantCulture);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { Timeout = TimeSpan.FromSeconds(15) };

        using var create = new HttpRequestMessage(HttpMethod.Post, orchestratorUrl + "/api/users")
        {
            Content = JsonContent.Create(new { name = "load test", role = "service" }),
        };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", opt("bootstrap-key", "dev-bootstrap-admin-key"));
        using var created = await http.SendAsync(create);
        created.EnsureSuccessStatusCode();
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiKey").GetString()!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        async Task<bool> KeyKnown()
        {
            using var me = await http.GetAsync(consentUrl + "/api/me");
            return me.IsSuccessStatusCode;
        }

        if (!await OpenLoop.UntilAsync(KeyKnown, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100)))
        {
            throw new TimeoutException("The consent service never learned the load test's key.");
        }

        var phones = Enumerable.Range(0, 2000).Select(i => "%2B1312" + (2000000 + i * 37).ToString(CultureInfo.InvariantCulture)).ToArray();
        string Url(int i) => $"{consentUrl}/api/suppression?phone={phones[i % phones.Length]}&channel={(i % 2 == 0 ? "sms" : "voice")}";

        // Warm-up: JIT, pools, prepared statements, the quiet-hours cache.
        await Task.WhenAll(Enumerable.Range(0, 500).Select(async i => (await http.GetAsync(Url(i))).Dispose()));

        var total = rate * seconds;
        var (latency, errors, elapsed) = await OpenLoop.RunAsync(http, rate, total, (n, _) => new HttpRequestMessage(HttpMethod.Get, Url(n)));
        static double Ms(HistogramBase h, double p) => OpenLoop.Ms(h, p);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            ## Suppression check load test ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores)

            Fixed rate: {rate}/s for {seconds} s ({total} GET /api/suppression, sms and voice alternating, 2,000 numbers)
            | measure | value |
            |---|---|
            | achieved rate | {total / elapsed.TotalSeconds:F0} checks/s |
            | errors | {errors} |
            | latency p50 / p99 / max | {Ms(latency, 50):F2} / {Ms(latency, 99):F2} / {Ms(latency, 100):F2} ms |
            """));
        return errors == 0 ? 0 : 1;
    }
}
