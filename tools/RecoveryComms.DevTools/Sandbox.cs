using System.Globalization;
using RecoveryComms.Testing;

namespace RecoveryComms.DevTools;

/// <summary>Serves Twilio's Calls and Messages endpoints on loopback and prints what the system sent.</summary>
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
                Console.WriteLine($"[twilio-sandbox] {entry.RequestMessage.Method} {entry.RequestMessage.Path} → {entry.ResponseMessage.StatusCode}");
            }
        };
        Console.WriteLine($"[twilio-sandbox] Twilio's REST API (Calls, Messages) at {sandbox.BaseUrl}");
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
