using System.Text.RegularExpressions;
using RecoveryComms.Telephony;
using RecoveryComms.Telephony.TwiML;
using RecoveryComms.Webhooks.Capture.Intake;

namespace RecoveryComms.Webhooks.Capture;

/// <summary>One Twilio route: where Twilio posts, what its form must carry, what Twilio hears back, and what capture does with it.</summary>
/// <param name="Path">The route, one of <see cref="TwilioCallbacks"/>.</param>
/// <param name="Form">The parameters it must carry and how its callbacks are told apart; null for a route that is answered but not stored (the screening whisper).</param>
/// <param name="Answer">What Twilio gets, from the request and configuration alone (so it can be answered whatever is down).</param>
/// <param name="Capture">What storing it does beside keeping the raw webhook (call, voicemail or message state and events); null when keeping it is all.</param>
/// <param name="AlwaysAnswers">A voice route whose TwiML must reach the caller even with PostgreSQL and RabbitMQ both down.</param>
public sealed record WebhookRoute(string Path, WebhookForm? Form, Func<WebhookRequest, WebhookAnswer> Answer, CaptureStep? Capture, bool AlwaysAnswers)
{
    /// <summary>
    /// A check that may replace <see cref="Answer"/> before it is kept (the click-to-call bridge asks consent again);
    /// null for most routes. It must answer within its own short budget and decide for itself what an outage means.
    /// </summary>
    public Func<WebhookRequest, CancellationToken, Task<WebhookAnswer?>>? Recheck { get; init; }

    /// <summary>Validates the request and names the callback; null when the route is not stored.</summary>
    public CallbackKey? Key(WebhookRequest request) => Form?.Key(request);
}

/// <summary>What a step of capture works with: the open transaction and the webhook being stored.</summary>
public sealed record CaptureContext(Npgsql.NpgsqlConnection Connection, Npgsql.NpgsqlTransaction Tx, WebhookRequest Request, CancellationToken Ct)
{
    public string CallSid => Request.Required("CallSid");
}

/// <summary>Applies one stored webhook to the call, voicemail or message state and writes its events, inside the store's transaction.</summary>
public delegate Task CaptureStep(CaptureContext context);

/// <summary>What makes a callback unique: Twilio's SID and the kind of callback (with its status where one SID gets several).</summary>
public sealed record CallbackKey(string ProviderSid, string Kind);

/// <summary>The answer Twilio gets; a duplicate callback gets the stored answer of the first.</summary>
public sealed record WebhookAnswer(int Status, string? ContentType, string? Body)
{
    public static readonly WebhookAnswer NoContent = new(StatusCodes.Status204NoContent, null, null);

    public static WebhookAnswer TwiML(string body) => new(StatusCodes.Status200OK, Twiml.ContentType, body);

    public IResult ToResult() => Body is null ? Results.StatusCode(Status) : Results.Content(Body, ContentType, statusCode: Status);
}

/// <summary>
/// The parameters a route's form must carry, and its key in <c>inbound_webhooks</c>: Twilio's SID plus the kind,
/// and the status word too for a callback Twilio sends once per status (one SID, several callbacks).
/// </summary>
/// <param name="Sid">The parameter holding the SID the callback is keyed on.</param>
/// <param name="Kind">The kind of callback, e.g. <c>voice.incoming</c>.</param>
/// <param name="Required">Parameters that must be present.</param>
public sealed partial record WebhookForm(string Sid, string Kind, IReadOnlyList<string> Required)
{
    // Twilio's numeric parameters, checked before anything is stored so a bad one is a 400, not a failure halfway.
    private static readonly string[] Numbers = ["SequenceNumber", "CallDuration", "RecordingDuration", "DialCallDuration", "NumMedia", "ErrorCode"];

    /// <summary>The status parameter when Twilio sends this callback once per status; it becomes part of the key.</summary>
    public string? Status { get; init; }

    /// <summary>The SID parameter to key on when <see cref="Sid"/> is absent.</summary>
    public string? SidWhenMissing { get; init; }

    /// <summary>One callback per SID.</summary>
    public static WebhookForm Once(string sid, string kind, params string[] required) => new(sid, kind, required);

    /// <summary>One callback per SID and status word (the status parameter is required).</summary>
    public static WebhookForm PerStatus(string sid, string kind, string status, params string[] required) =>
        new(sid, kind, [status, .. required]) { Status = status };

    /// <summary>Validates the request's parameters and names the callback; throws <see cref="WebhookRejectedException"/> (a 400).</summary>
    public CallbackKey Key(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var kind = Status is null ? Kind : Kind + ":" + Word(request, Status);
        var sidName = SidWhenMissing is not null && request[Sid] is null ? SidWhenMissing : Sid;
        var key = new CallbackKey(ProviderSid(request, sidName), kind);
        foreach (var name in Required)
        {
            request.Required(name);
        }

        foreach (var name in Numbers)
        {
            request.OptionalInt(name);
        }

        return key;
    }

    // Twilio SIDs are two letters and hex; test SIDs in Twilio's own examples are shorter, so only the shape is checked.
    private static string ProviderSid(WebhookRequest request, string name)
    {
        var sid = request.Required(name);
        return SidShape().IsMatch(sid) ? sid : throw new WebhookRejectedException($"{name} '{sid}' is not a Twilio SID.");
    }

    private static string Word(WebhookRequest request, string name)
    {
        var word = request.Required(name);
        return StatusShape().IsMatch(word) ? word : throw new WebhookRejectedException($"{name} '{word}' is not a status Twilio sends.");
    }

    [GeneratedRegex("^[A-Z]{2}[A-Za-z0-9]{6,62}$")]
    private static partial Regex SidShape();

    [GeneratedRegex("^[a-z][a-z_-]{1,30}$")]
    private static partial Regex StatusShape();
}
