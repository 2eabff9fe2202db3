using System.Globalization;
using RecoveryComms.Testing;

namespace RecoveryComms.DevTools;

/// <summary>Serves Twilio's Calls, Messages and recording media endpoints on loopback and prints what the system sent.</summary>
internal static class Sandbox
{
    public static async Task<int> RunAsync(Options options)
    {
        var port = int.Parse(options.Get("port", "5090"), CultureInfo.InvariantCulture);
        using var sandbox = TwilioApiSandbox.Start(port);
        // Fault suite (tests/RecoveryComms.LoadTest/Faults, stop-vs-send): every message accepted, with the exact time it
        // was accepted (Twilio's own list has whole seconds only), so a text can be placed before or after a STOP's answer.
        sandbox.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/__sandbox/messages").UsingGet())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithCallback(_ => new WireMock.ResponseMessage
            {
                StatusCode = 200,
                Headers = new Dictionary<string, WireMock.Types.WireMockList<string>> { ["Content-Type"] = new("application/json") },
                BodyData = new WireMock.Util.BodyData
                {
                    BodyAsString = System.Text.Json.JsonSerializer.Serialize(sandbox.Messages.Select(m => new { to = m.To, body = m.Body, acceptedAt = m.DateCreated })),
                    DetectedBodyType = WireMock.Types.BodyType.String,
                },
            }));
        sandbox.Server.LogEntriesChanged += (_, change) =>
        {
            foreach (var entry in change.NewItems?.OfType<WireMock.Logging.ILogEntry>() ?? [])
            {
                var form = System.Web.HttpUtility.ParseQueryString(entry.RequestMessage.Body ?? "");
                var what = form["Body"] is { } body ? $" To={RecoveryComms.Hosting.Phones.Phone.Mask(form["To"])} Body=\"{body}\"" : form["Url"] is { } url ? $" To={RecoveryComms.Hosting.Phones.Phone.Mask(form["To"])} From={form["From"]} (the connect URL carries the customer)" : "";
                Console.WriteLine($"[twilio-sandbox] {entry.RequestMessage.Method} {entry.RequestMessage.Path} → {entry.ResponseMessage.StatusCode}{what}");
            }
        };
        Console.WriteLine($"[twilio-sandbox] Twilio's REST API (Calls: create, fetch and list; Messages: create and list; Recordings/RE….mp3: a second of silence) at {sandbox.BaseUrl}");
        var stop = new TaskCompletionSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.TrySetResult();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
        await stop.Task;
        return 0;
    }
}
