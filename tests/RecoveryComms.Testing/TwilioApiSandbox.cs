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

/// <summary>A message the sandbox accepted, as Twilio would list it.</summary>
public sealed record SandboxMessage(string Sid, string To, string From, string Body, DateTimeOffset DateCreated);

/// <summary>
/// Twilio's Calls and Messages endpoints served by WireMock.Net: answers like Twilio (201 with a SID, or
/// Twilio's error JSON), keeps every message it accepted so <c>GET Messages.json</c> lists them (filtered by
/// <c>To</c> and <c>DateSent&gt;=</c>, newest first, in pages), and records every request, so tests and the
/// offline dev stack see what was sent. It can also accept a message and then lose the answer, the case that
/// makes a retried create a second text. Any recording SID's <c>.mp3</c> answers a second of silence
/// (<see cref="SilentMp3"/>) unless a test said the recording is missing.
/// </summary>
public sealed class TwilioApiSandbox : IDisposable
{
    private const string MessagesPath = "/2010-04-01/Accounts/*/Messages.json";
    private const string RecordingsPath = "/2010-04-01/Accounts/*/Recordings/*";
    private readonly ConcurrentQueue<SandboxMessage> _messages = new();
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

    /// <summary>Every message accepted, oldest first (including those whose answer was then lost).</summary>
    public IReadOnlyList<SandboxMessage> Messages => [.. _messages];

    public static TwilioApiSandbox Start(int? port = null) =>
        new(port is null ? WireMockServer.Start() : WireMockServer.Start(port.Value));

    /// <summary>Back to answering every create with 201 (accepted messages are kept).</summary>
    public void Reset()
    {
        Server.Reset();
        Server.Given(Request.Create().WithPath("/2010-04-01/Accounts/*/Calls.json").UsingPost())
            .AtPriority(100)
            .RespondWith(Response.Create().WithCallback(_ => Created("CA", "queued")));
        Server.Given(Request.Create().WithPath(MessagesPath).UsingPost())
            .AtPriority(100)
            .RespondWith(Response.Create().WithCallback(Accept));
        Server.Given(Request.Create().WithPath(MessagesPath).UsingGet())
            .AtPriority(100)
            .RespondWith(Response.Create().WithCallback(List));
        Server.Given(Request.Create().WithPath(new WireMock.Matchers.RegexMatcher("^/2010-04-01/Accounts/AC[0-9a-f]{32}/Recordings/RE[0-9a-f]{32}\\.mp3$")).UsingGet())
            .AtPriority(100)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "audio/mpeg").WithBody(SilentMp3.Create()));
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

    private ResponseMessage Accept(IRequestMessage request)
    {
        var form = QueryHelpers.ParseQuery(request.Body ?? "");
        var created = Created("SM", "queued");
        var sid = System.Text.Json.JsonDocument.Parse(created.BodyData!.BodyAsString!).RootElement.GetProperty("sid").GetString()!;
        var from = form.TryGetValue("From", out var f) ? f.ToString() : "+15005550006";
        _messages.Enqueue(new SandboxMessage(sid, form["To"].ToString(), from, form["Body"].ToString(), Clock()));
        return created;
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

    private ResponseMessage Created(string prefix, string status)
    {
        var n = Interlocked.Increment(ref _sequence);
        var sid = prefix + n.ToString("x32", CultureInfo.InvariantCulture);
        return Json(201, $"{{\"sid\": \"{sid}\", \"status\": \"{status}\"}}");
    }

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
