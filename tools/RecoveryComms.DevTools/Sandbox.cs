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
