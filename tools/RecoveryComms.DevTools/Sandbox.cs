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
        MapFaultSwitch(sandbox);
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

    /// <summary>
    /// The fault suite's switch (tests/RecoveryComms.LoadTest/Faults, twilio-faults), on loopback only like the rest:
    /// <c>POST /__sandbox/faults</c> with <c>{"resource": "Calls.json"|"Messages.json", "to": "+1…", "fault": "slow"|"500"|
    /// "created-then-500"|"429"|"21610"|"21211", "delayMs": 5000}</c> sets how creates to that number are answered;
    /// <c>DELETE /__sandbox/faults?to=+1…</c> (every number without <c>to</c>) clears it; <c>GET /__sandbox/creates</c>
    /// lists every create received (resource, number, status answered), so a test counts the tries Twilio saw.
    /// </summary>
    private static void MapFaultSwitch(TwilioApiSandbox sandbox)
    {
        sandbox.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/__sandbox/faults").UsingPost())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithCallback(request =>
            {
                try
                {
                    var body = System.Text.Json.JsonDocument.Parse(request.Body ?? "").RootElement;
                    var fault = body.GetProperty("fault").GetString() switch
                    {
                        "slow" => SandboxFault.Slow,
                        "500" => SandboxFault.ServerError,
                        "created-then-500" => SandboxFault.CreatedThenServerError,
                        "429" => SandboxFault.TooManyRequests,
                        "21610" => SandboxFault.Unsubscribed,
                        "21211" => SandboxFault.InvalidTo,
                        var other => throw new ArgumentException($"unknown fault '{other}': slow, 500, created-then-500, 429, 21610 or 21211"),
                    };
                    var delay = body.TryGetProperty("delayMs", out var ms) ? TimeSpan.FromMilliseconds(ms.GetInt32()) : (TimeSpan?)null;
                    sandbox.SetFault(body.GetProperty("resource").GetString() ?? "", body.GetProperty("to").GetString() ?? "", fault, delay);
                    return Json(204, "");
                }
                catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
                {
                    return Json(400, System.Text.Json.JsonSerializer.Serialize(new { error = e.Message }));
                }
            }));
        sandbox.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/__sandbox/faults").UsingDelete())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithCallback(request =>
            {
                sandbox.ClearFaults(request.Query?.TryGetValue("to", out var to) == true ? to.ToString() : null);
                return Json(204, "");
            }));
        sandbox.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/__sandbox/creates").UsingGet())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithCallback(_ => Json(200, System.Text.Json.JsonSerializer.Serialize(
                sandbox.Server.LogEntries
                    .Where(e => e.RequestMessage.Method == "POST" && e.RequestMessage.Path.StartsWith("/2010-04-01/", StringComparison.Ordinal))
                    .Select(e => new
                    {
                        resource = e.RequestMessage.Path[(e.RequestMessage.Path.LastIndexOf('/') + 1)..],
                        to = System.Web.HttpUtility.ParseQueryString(e.RequestMessage.Body ?? "")["To"],
                        status = e.ResponseMessage.StatusCode,
                        at = e.RequestMessage.DateTime,
                    })))));
    }

    private static WireMock.ResponseMessage Json(int status, string body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMock.Types.WireMockList<string>> { ["Content-Type"] = new("application/json") },
        BodyData = body.Length == 0 ? null : new WireMock.Util.BodyData { BodyAsString = body, DetectedBodyType = WireMock.Types.BodyType.String },
    };
}
