using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using WireMock;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace RecoveryComms.Testing;

/// <summary>A call the sandbox created (or a child leg a test added), as Twilio would fetch and list it.</summary>
public sealed record SandboxCall(
    string Sid, string? ParentCallSid, string To, string From, string Status, string Direction, string? AnsweredBy, DateTimeOffset DateCreated);

/// <summary>
/// How the sandbox answers every create to one number while the fault is set (<see cref="TwilioApiSandbox.SetFault"/>):
/// the fault suite's switch, so the running stack meets a slow, failing, rate-limiting or refusing Twilio.
/// </summary>
public enum SandboxFault
{
    /// <summary>Created at once, answered after the fault's delay (Twilio slow).</summary>
    Slow,

    /// <summary>Not created; 500 with Twilio's error JSON (Twilio failing before it acted).</summary>
    ServerError,

    /// <summary>Created, then answered 500 (Twilio failing after it acted: the case a retried create would double).</summary>
    CreatedThenServerError,

    /// <summary>Not created; 429, error 20429 (Twilio did not process the request).</summary>
    TooManyRequests,

    /// <summary>Not created; 400, error 21610 (the recipient replied STOP to the sender at the carrier).</summary>
    Unsubscribed,

    /// <summary>Not created; 400, error 21211 (invalid 'To' phone number).</summary>
    InvalidTo,
}

/// <summary>A message the sandbox accepted, as Twilio would list it.</summary>
public sealed record SandboxMessage(string Sid, string To, string From, string Body, DateTimeOffset DateCreated);

/// <summary>
/// Twilio's Calls and Messages endpoints served by WireMock.Net: answers like Twilio (201 with a SID, or
/// Twilio's error JSON), keeps every message it accepted so <c>GET Messages.json</c> lists them (filtered by
/// <c>To</c> and <c>DateSent&gt;=</c>, newest first, in pages), keeps every call it placed so
/// <c>GET Calls/{Sid}.json</c> fetches it and <c>GET Calls.json</c> lists it (filtered by <c>To</c>, <c>From</c>,
/// <c>ParentCallSid</c> and <c>StartTime&gt;=</c>, newest first; a test moves a call on or adds its child leg), and
/// records every request, so tests and the offline dev stack see what was sent. It can also accept a message or
/// place a call and then lose the answer, the case that makes a retried create a second text or call. Any recording SID's <c>.mp3</c> answers a second of silence
/// (<see cref="SilentMp3"/>) unless a test said the recording is missing.
/// </summary>
public sealed class TwilioApiSandbox : IDisposable
{
    private const string MessagesPath = "/2010-04-01/Accounts/*/Messages.json";
    private const string RecordingsPath = "/2010-04-01/Accounts/*/Recordings/*";
    private const string CallsPath = "/2010-04-01/Accounts/*/Calls.json";
    private readonly ConcurrentQueue<SandboxMessage> _messages = new();
    private readonly ConcurrentDictionary<string, SandboxCall> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Resource, string To), (SandboxFault Fault, TimeSpan Delay)> _faults = new();
    private int _sequence;

    private TwilioApiSandbox(WireMockServer server)
    {
        Server = server;
        Reset();
    }

    public WireMockServer Server { get; }

    public string BaseUrl => Server.Url!;

    /// <summary>The clock that stamps accepted messages (<c>date_created</c>, <c>date_sent</c>); real time unless a test sets it.</summary>
    public Func<DateTimeOffset> Clock { get; set; } = () => DateTimeOffset.UtcNow;

    /// <summary>The largest page the list answers, whatever <c>PageSize</c> asks (Twilio's is 1000).</summary>
    public int MaxPageSize { get; set; } = 1000;

    /// <summary>Every call created (and child leg added), oldest first, including those whose answer was then lost.</summary>
    public IReadOnlyList<SandboxCall> Calls => [.. _calls.Values.OrderBy(c => c.DateCreated).ThenBy(c => c.Sid, StringComparer.Ordinal)];

    /// <summary>Every message accepted, oldest first (including those whose answer was then lost).</summary>
    public IReadOnlyList<SandboxMessage> Messages => [.. _messages];

    public static TwilioApiSandbox Start(int? port = null) =>
        new(port is null ? WireMockServer.Start() : WireMockServer.Start(port.Value));

    /// <summary>Back to answering every create with 201 (accepted messages are kept; faults are cleared).</summary>
    public void Reset()
    {
        _faults.Clear();
        Server.Reset();
        Server.Given(Request.Create().WithPath(CallsPath).UsingPost())
            .AtPriority(100)
            .RespondWith(Response.Create().WithCallback(async request => await CreateAsync("Calls.json", request, PlaceCall)));
        Server.Given(Request.Create().WithPath(CallsPath).UsingGet())
            .AtPriority(100)
            .RespondWith(Response.Create().WithCallback(ListCalls));
        Server.Given(Request.Create().WithPath(new WireMock.Matchers.RegexMatcher("^/2010-04-01/Accounts/[^/]+/Calls/CA[0-9a-fA-F]{32}\\.json$")).UsingGet())
            .AtPriority(100)
            .RespondWith(Response.Create().WithCallback(FetchCall));
        Server.Given(Request.Create().WithPath(MessagesPath).UsingPost())
            .AtPriority(100)
            .RespondWith(Response.Create().WithCallback(async request => await CreateAsync("Messages.json", request, Accept)));
        Server.Given(Request.Create().WithPath(MessagesPath).UsingGet())
            .AtPriority(100)
            .RespondWith(Response.Create().WithCallback(List));
        Server.Given(Request.Create().WithPath(new WireMock.Matchers.RegexMatcher("^/2010-04-01/Accounts/AC[0-9a-f]{32}/Recordings/RE[0-9a-f]{32}\\.mp3$")).UsingGet())
            .AtPriority(100)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "audio/mpeg").WithBody(SilentMp3.Create()));
    }

    /// <summary>
    /// From now on (until <see cref="ClearFaults"/> or <see cref="Reset"/>), every create on <paramref name="resource"/>
    /// (<c>Calls.json</c> or <c>Messages.json</c>) to <paramref name="to"/> meets <paramref name="fault"/>;
    /// <paramref name="delay"/> is how long a <see cref="SandboxFault.Slow"/> answer takes.
    /// </summary>
    public void SetFault(string resource, string to, SandboxFault fault, TimeSpan? delay = null)
    {
        if (resource is not ("Calls.json" or "Messages.json"))
        {
            throw new ArgumentException($"Faults are set on Calls.json or Messages.json, not {resource}.", nameof(resource));
        }

        _faults[(resource, to)] = (fault, delay ?? TimeSpan.FromSeconds(5));
    }

    /// <summary>Creates to <paramref name="to"/> (every number when null) are answered as usual again.</summary>
    public void ClearFaults(string? to = null)
    {
        foreach (var key in _faults.Keys.Where(k => to is null || k.To == to))
        {
            _faults.TryRemove(key, out _);
        }
    }

    /// <summary>From now on (until <see cref="Reset"/>), Twilio has no recording <paramref name="recordingSid"/> (404, Twilio's error JSON).</summary>
    public void ForgetRecording(string recordingSid) =>
        Server.Given(Request.Create().WithPath($"/2010-04-01/Accounts/*/Recordings/{recordingSid}.mp3").UsingGet())
            .AtPriority(50)
            .RespondWith(Response.Create().WithStatusCode(404).WithHeader("Content-Type", "application/json")
                .WithBody("{\"code\": 20404, \"message\": \"The requested resource was not found\", \"more_info\": \"https://www.twilio.com/docs/errors/20404\", \"status\": 404}"));

    /// <summary>The next <paramref name="times"/> recording fetches answer <paramref name="status"/> with Twilio's error JSON.</summary>
    public void FailRecordingsNext(int times, HttpStatusCode status)
    {
        var scenario = $"recordings-{Guid.NewGuid():N}";
        for (var i = 0; i < times; i++)
        {
            var given = Server.Given(Request.Create().WithPath(RecordingsPath).UsingGet()).AtPriority(1).InScenario(scenario);
            given = i == 0 ? given.WillSetStateTo($"{i + 1}") : given.WhenStateIs($"{i}").WillSetStateTo($"{i + 1}");
            given.RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json")
                .WithBody($"{{\"status\": {(int)status}, \"message\": \"Service Unavailable\"}}"));
        }
    }

    /// <summary>The next <paramref name="times"/> creates on <paramref name="resource"/> answer with Twilio's error JSON (nothing is accepted).</summary>
    public void FailNext(string resource, int times, HttpStatusCode status, int? code, string message)
    {
        var body = code is null
            ? $"{{\"status\": {(int)status}, \"message\": \"{message}\"}}"
            : $"{{\"status\": {(int)status}, \"message\": \"{message}\", \"code\": {code}, \"more_info\": \"https://www.twilio.com/docs/errors/{code}\"}}";
        Next(resource, times, Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));
    }

    /// <summary>
    /// The next <paramref name="times"/> message creates are accepted (the message exists and is listed) but the
    /// answer never arrives whole: a status line, garbage, and the connection closes.
    /// </summary>
    public void AcceptThenDropNext(int times = 1) =>
        Next("Messages.json", times, Response.Create().WithCallback(request =>
        {
            // Note: WireMock ignores WithFault on a callback response, so the fault rides on the message itself.
            var accepted = Accept(request);
            accepted.FaultType = FaultType.MALFORMED_RESPONSE_CHUNK;
            return accepted;
        }));

    /// <summary>The next <paramref name="times"/> message creates are accepted, then answered with a 5xx.</summary>
    public void AcceptThenFailNext(int times, HttpStatusCode status) =>
        Next("Messages.json", times, Response.Create().WithCallback(request =>
        {
            Accept(request);
            return Json((int)status, $"{{\"status\": {(int)status}, \"message\": \"Service Unavailable\"}}");
        }));

    /// <summary>The next <paramref name="times"/> message creates are accepted, and answered only after <paramref name="delay"/>.</summary>
    public void AcceptThenStallNext(int times, TimeSpan delay) =>
        Next("Messages.json", times, Response.Create().WithCallback(Accept).WithDelay(delay));

    /// <summary>
    /// From now on (until <see cref="Reset"/>), message creates to <paramref name="to"/> are accepted at once but
    /// answered only after <paramref name="delay"/>: a slow Twilio, which widens every race around a send.
    /// </summary>
    public void AnswerCreatesAfter(string to, TimeSpan delay) =>
        Server.Given(Request.Create().WithPath(MessagesPath).UsingPost()
                .WithBody(new WireMock.Matchers.WildcardMatcher($"*To={Uri.EscapeDataString(to)}&*")))
            .AtPriority(50)
            .RespondWith(Response.Create().WithCallback(Accept).WithDelay(delay));

    /// <summary>The next <paramref name="times"/> call creates are placed (the call exists and is listed), and answered only after <paramref name="delay"/>.</summary>
    public void PlaceCallThenStallNext(int times, TimeSpan delay) =>
        Next("Calls.json", times, Response.Create().WithCallback(async request =>
        {
            // Note: placed when the request arrives (WireMock's WithDelay would run the callback only after the delay).
            var placed = PlaceCall(request);
            await Task.Delay(delay);
            return placed;
        }));

    /// <summary>The next <paramref name="times"/> call creates are never answered in time and never placed (Twilio did not get them).</summary>
    public void StallCallsNext(int times, TimeSpan delay) =>
        Next("Calls.json", times, Response.Create().WithStatusCode(504).WithDelay(delay));

    /// <summary>Moves a call on, as Twilio would: its status (and machine detection's answer) when fetched or listed from now on.</summary>
    public void SetCallStatus(string sid, string status, string? answeredBy = null) =>
        _calls.AddOrUpdate(sid, _ => throw new InvalidOperationException($"The sandbox has no call {sid}."), (_, call) => call with { Status = status, AnsweredBy = answeredBy ?? call.AnsweredBy });

    /// <summary>The customer's leg a <c>&lt;Dial&gt;</c> on <paramref name="parentSid"/> created; returns its SID.</summary>
    public string AddChildCall(string parentSid, string to, string status, string? answeredBy = null)
    {
        var parent = _calls[parentSid];
        var sid = NewSid("CA");
        _calls[sid] = new SandboxCall(sid, parentSid, to, parent.From, status, "outbound-dial", answeredBy, Clock());
        return sid;
    }

    /// <summary>Every request Twilio's API received for <paramref name="resource"/>, oldest first, whatever the method.</summary>
    public IReadOnlyList<ILogEntry> Requests(string resource) =>
        Server.LogEntries.Where(e => e.RequestMessage.Path.EndsWith(resource, StringComparison.Ordinal)).ToList();

    /// <summary>The creates (POSTs) Twilio's API received for <paramref name="resource"/>, oldest first.</summary>
    public IReadOnlyList<ILogEntry> Creates(string resource) =>
        Requests(resource).Where(e => e.RequestMessage.Method == "POST").ToList();

    public void Dispose() => Server.Stop();

    private void Next(string resource, int times, IResponseBuilder response)
    {
        var scenario = $"next-{resource}-{Guid.NewGuid():N}";
        for (var i = 0; i < times; i++)
        {
            var given = Server.Given(Request.Create().WithPath($"/2010-04-01/Accounts/*/{resource}").UsingPost())
                .AtPriority(1)
                .InScenario(scenario);
            given = i == 0 ? given.WillSetStateTo($"{i + 1}") : given.WhenStateIs($"{i}").WillSetStateTo($"{i + 1}");
            given.RespondWith(response);
        }
    }

    /// <summary>A create as the fault set for its number says (<see cref="SetFault"/>), else as Twilio does it.</summary>
    private async Task<ResponseMessage> CreateAsync(string resource, IRequestMessage request, Func<IRequestMessage, ResponseMessage> create)
    {
        var to = QueryHelpers.ParseQuery(request.Body ?? "").TryGetValue("To", out var t) ? t.ToString() : "";
        if (!_faults.TryGetValue((resource, to), out var fault))
        {
            return create(request);
        }

        switch (fault.Fault)
        {
            case SandboxFault.Slow:
                // Note: created when the request arrives, as Twilio acts before its answer reaches a slow network.
                var created = create(request);
                await Task.Delay(fault.Delay);
                return created;
            case SandboxFault.CreatedThenServerError:
                create(request);
                return TwilioError(500, 20500, "Internal Server Error");
            case SandboxFault.ServerError:
                return TwilioError(500, 20500, "Internal Server Error");
            case SandboxFault.TooManyRequests:
                return TwilioError(429, 20429, "Too Many Requests");
            case SandboxFault.Unsubscribed:
                return TwilioError(400, 21610, "Attempt to send to unsubscribed recipient");
            default:
                return TwilioError(400, 21211, $"The 'To' number {to} is not a valid phone number.");
        }
    }

    private static ResponseMessage TwilioError(int status, int code, string message) =>
        Json(status, $"{{\"code\": {code}, \"message\": {System.Text.Json.JsonSerializer.Serialize(message)}, \"more_info\": \"https://www.twilio.com/docs/errors/{code}\", \"status\": {status}}}");

    private ResponseMessage Accept(IRequestMessage request)
    {
        var form = QueryHelpers.ParseQuery(request.Body ?? "");
        var created = Created("SM", "queued");
        var sid = System.Text.Json.JsonDocument.Parse(created.BodyData!.BodyAsString!).RootElement.GetProperty("sid").GetString()!;
        var from = form.TryGetValue("From", out var f) ? f.ToString() : "+15005550006";
        _messages.Enqueue(new SandboxMessage(sid, form["To"].ToString(), from, form["Body"].ToString(), Clock()));
        return created;
    }

    private ResponseMessage PlaceCall(IRequestMessage request)
    {
        var form = QueryHelpers.ParseQuery(request.Body ?? "");
        var sid = NewSid("CA");
        _calls[sid] = new SandboxCall(sid, null, form["To"].ToString(), form["From"].ToString(), "queued", "outbound-api", null, Clock());
        return Json(201, $"{{\"sid\": \"{sid}\", \"status\": \"queued\"}}");
    }

    private ResponseMessage FetchCall(IRequestMessage request)
    {
        var sid = request.AbsolutePath[(request.AbsolutePath.LastIndexOf('/') + 1)..^".json".Length];
        return _calls.TryGetValue(sid, out var call)
            ? Json(200, System.Text.Json.JsonSerializer.Serialize(CallJson(call)))
            : Json(404, "{\"code\": 20404, \"message\": \"The requested resource was not found\", \"more_info\": \"https://www.twilio.com/docs/errors/20404\", \"status\": 404}");
    }

    private ResponseMessage ListCalls(IRequestMessage request)
    {
        var query = QueryHelpers.ParseQuery(request.RawQuery ?? "");
        bool Matches(string key, string? value) => !query.TryGetValue(key, out var wanted) || wanted.ToString() == value;
        var pageSize = Math.Min(MaxPageSize, query.TryGetValue("PageSize", out var size) ? int.Parse(size.ToString(), CultureInfo.InvariantCulture) : 50);
        var matching = _calls.Values
            .Where(c => Matches("To", c.To) && Matches("From", c.From) && Matches("ParentCallSid", c.ParentCallSid))
            .Where(c => !query.TryGetValue("StartTime>", out var since)
                || DateOnly.FromDateTime(c.DateCreated.UtcDateTime) >= DateOnly.ParseExact(since.ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture))
            .OrderByDescending(c => c.DateCreated)
            .Take(pageSize)
            .Select(c => System.Text.Json.JsonSerializer.Serialize(CallJson(c)));
        return Json(200, new StringBuilder("{\"calls\": [").AppendJoin(", ", matching).Append("], \"page\": 0, \"page_size\": ").Append(pageSize)
            .Append(", \"next_page_uri\": null}").ToString());
    }

    private static Dictionary<string, object?> CallJson(SandboxCall c)
    {
        var ended = c.Status is "completed" or "canceled" or "failed" or "busy" or "no-answer";
        return new Dictionary<string, object?>
        {
            ["sid"] = c.Sid,
            ["parent_call_sid"] = c.ParentCallSid,
            ["to"] = c.To,
            ["from"] = c.From,
            ["status"] = c.Status,
            ["direction"] = c.Direction,
            ["answered_by"] = c.AnsweredBy,
            ["duration"] = ended ? "0" : null,
            ["date_created"] = Rfc2822(c.DateCreated),
            ["start_time"] = c.Status == "queued" ? null : Rfc2822(c.DateCreated),
            ["end_time"] = ended ? Rfc2822(c.DateCreated) : null,
        };
    }

    private ResponseMessage List(IRequestMessage request)
    {
        var query = QueryHelpers.ParseQuery(request.RawQuery ?? "");
        var pageSize = Math.Min(MaxPageSize, query.TryGetValue("PageSize", out var size) ? int.Parse(size.ToString(), CultureInfo.InvariantCulture) : 50);
        var page = query.TryGetValue("Page", out var p) ? int.Parse(p.ToString(), CultureInfo.InvariantCulture) : 0;
        var matching = _messages
            .Where(m => !query.TryGetValue("To", out var to) || m.To == to.ToString())
            .Where(m => !query.TryGetValue("DateSent>", out var since)
                || DateOnly.FromDateTime(m.DateCreated.UtcDateTime) >= DateOnly.ParseExact(since.ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture))
            .OrderByDescending(m => m.DateCreated)
            .ToList();
        var items = matching.Skip(page * pageSize).Take(pageSize).Select(m => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["sid"] = m.Sid,
            ["to"] = m.To,
            ["from"] = m.From,
            ["body"] = m.Body,
            ["status"] = "sent",
            ["direction"] = "outbound-api",
            ["date_created"] = Rfc2822(m.DateCreated),
            ["date_sent"] = Rfc2822(m.DateCreated),
            ["error_code"] = null,
        }));
        var next = (page + 1) * pageSize < matching.Count
            ? QueryHelpers.AddQueryString(request.AbsolutePath, new Dictionary<string, string?>(query.Where(q => q.Key != "Page").Select(q => KeyValuePair.Create(q.Key, (string?)q.Value.ToString())))
            {
                ["Page"] = (page + 1).ToString(CultureInfo.InvariantCulture),
            })
            : null;
        var body = new StringBuilder("{\"messages\": [").AppendJoin(", ", items).Append("], \"page\": ").Append(page)
            .Append(", \"page_size\": ").Append(pageSize)
            .Append(", \"next_page_uri\": ").Append(next is null ? "null" : System.Text.Json.JsonSerializer.Serialize(next)).Append('}');
        return Json(200, body.ToString());
    }

    private static string Rfc2822(DateTimeOffset at) =>
        at.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);

    private ResponseMessage Created(string prefix, string status) =>
        Json(201, $"{{\"sid\": \"{NewSid(prefix)}\", \"status\": \"{status}\"}}");

    private string NewSid(string prefix) => prefix + Interlocked.Increment(ref _sequence).ToString("x32", CultureInfo.InvariantCulture);

    private static ResponseMessage Json(int status, string body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMock.Types.WireMockList<string>> { ["Content-Type"] = new("application/json") },
        BodyData = new WireMock.Util.BodyData
        {
            BodyAsString = body,
            DetectedBodyType = WireMock.Types.BodyType.String,
        },
    };
}
