using System.Globalization;
using System.Net;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace RecoveryComms.Testing;

/// <summary>
/// Twilio's Calls and Messages endpoints served by WireMock.Net: answers like Twilio (201 with a SID, or
/// Twilio's error JSON) and records every request, so tests and the offline dev stack see what was sent.
/// </summary>
public sealed class TwilioApiSandbox : IDisposable
{
    private int _sequence;

    private TwilioApiSandbox(WireMockServer server)
    {
        Server = server;
        Reset();
    }

    public WireMockServer Server { get; }

    public string BaseUrl => Server.Url!;

    public static TwilioApiSandbox Start(int? port = null) =>
        new(port is null ? WireMockServer.Start() : WireMockServer.Start(port.Value));

    /// <summary>Back to answering every create with 201.</summary>
    public void Reset()
    {
        Server.Reset();
        Server.Given(Request.Create().WithPath("/2010-04-01/Accounts/*/Calls.json").UsingPost())
            .AtPriority(100)
            .RespondWith(Response.Create().WithCallback(_ => Created("CA", "queued")));
        Server.Given(Request.Create().WithPath("/2010-04-01/Accounts/*/Messages.json").UsingPost())
            .AtPriority(100)
            .RespondWith(Response.Create().WithCallback(_ => Created("SM", "queued")));
    }

    /// <summary>The next <paramref name="times"/> creates on <paramref name="resource"/> answer with Twilio's error JSON.</summary>
    public void FailNext(string resource, int times, HttpStatusCode status, int? code, string message)
    {
        var scenario = $"fail-{resource}-{Guid.NewGuid():N}";
        for (var i = 0; i < times; i++)
        {
            var body = code is null
                ? $"{{\"status\": {(int)status}, \"message\": \"{message}\"}}"
                : $"{{\"status\": {(int)status}, \"message\": \"{message}\", \"code\": {code}, \"more_info\": \"https://www.twilio.com/docs/errors/{code}\"}}";
            var given = Server.Given(Request.Create().WithPath($"/2010-04-01/Accounts/*/{resource}").UsingPost())
                .AtPriority(1)
                .InScenario(scenario);
            given = i == 0 ? given.WillSetStateTo($"{i + 1}") : given.WhenStateIs($"{i}").WillSetStateTo($"{i + 1}");
            given.RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));
        }
    }

    /// <summary>Every request Twilio's API received, oldest first.</summary>
    public IReadOnlyList<ILogEntry> Requests(string resource) =>
        Server.LogEntries.Where(e => e.RequestMessage.Path.EndsWith(resource, StringComparison.Ordinal)).ToList();

    public void Dispose() => Server.Stop();

    private WireMock.ResponseMessage Created(string prefix, string status)
    {
        var n = Interlocked.Increment(ref _sequence);
        var sid = prefix + n.ToString("x32", CultureInfo.InvariantCulture);
        return new WireMock.ResponseMessage
        {
            StatusCode = 201,
            Headers = new Dictionary<string, WireMock.Types.WireMockList<string>> { ["Content-Type"] = new("application/json") },
            BodyData = new WireMock.Util.BodyData
            {
                BodyAsString = $"{{\"sid\": \"{sid}\", \"status\": \"{status}\"}}",
                DetectedBodyType = WireMock.Types.BodyType.String,
            },
        };
    }
}
