using System.Net.Http.Headers;
using System.Text.Json;

namespace RecoveryComms.LoadTest;

/// <summary>The orchestrator's live feed (<c>GET /api/stream</c>), read as a CSR's page reads it: each item event's caller.</summary>
internal static class LiveFeed
{
    /// <summary>Opens the feed and calls <paramref name="onItem"/> with each item event's phone until <paramref name="ct"/> is cancelled.</summary>
    /// <returns>The reading task, once the feed has answered.</returns>
    public static async Task<Task> OpenAsync(HttpClient http, string orchestratorUrl, string key, Action<string> onItem, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, orchestratorUrl + "/api/stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        return Task.Run(async () =>
        {
            using (request)
            using (response)
            using (var lines = new StreamReader(await response.Content.ReadAsStreamAsync(ct)))
            {
                string? eventName = null;
                try
                {
                    while (await lines.ReadLineAsync(ct) is { } line)
                    {
                        if (line.StartsWith("event: ", StringComparison.Ordinal))
                        {
                            eventName = line[7..];
                        }
                        else if (line.StartsWith("data: ", StringComparison.Ordinal) && eventName == "item"
                            && JsonDocument.Parse(line[6..]).RootElement.GetProperty("phone").GetString() is { } phone)
                        {
                            onItem(phone);
                        }
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // Done reading.
                }
            }
        }, CancellationToken.None);
    }
}
