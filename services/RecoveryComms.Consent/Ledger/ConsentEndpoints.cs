using System.Globalization;
using System.Security.Claims;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Consent.Ledger;

public sealed record ConsentView(string Phone, IReadOnlyList<ChannelState> Channels, NumberFlags Flags, IReadOnlyList<ConsentEvent> History);

public sealed record RecordConsentRequest(string? Channel, string? State, string? Evidence);

public sealed record RecordedConsent(long? EventId, string Phone, string Channel, string OldState, string NewState);

public sealed record EventPage(int Page, int PageSize, long Total, IReadOnlyList<ConsentEvent> Events);


public static class ConsentEndpoints
{
    /// <summary>How many rows deep <c>GET /api/consent/events</c> pages at most.</summary>
    public const int MaxPageDepth = 1_000_000;

    public static IEndpointRouteBuilder MapConsentEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var consent = endpoints.MapGroup("/api/consent");
        // Literal routes first: "events" and "verify" are not phone numbers.
        consent.MapGet("/events", EventsAsync).RequireAuthorization(Policies.ComplianceOnly);
        consent.MapGet("/events.csv", EventsCsvAsync).RequireAuthorization(Policies.ComplianceOnly);
        consent.MapGet("/verify", VerifyAsync).RequireAuthorization(Policies.ComplianceOnly);
        consent.MapGet("/checkpoints", CheckpointsAsync).RequireAuthorization(Policies.ComplianceOrAdmin);
        consent.MapPost("/checkpoints", CreateCheckpointAsync).RequireAuthorization(Policies.ComplianceOrAdmin);
        consent.MapGet("/{phone}", GetAsync).RequireAuthorization(Policies.ComplianceOrManager);
        consent.MapPost("/{phone}", RecordAsync).RequireAuthorization(Policies.ComplianceOrAdmin);
        return endpoints;
    }

    private static async Task<Results<Ok<ConsentView>, ProblemHttpResult>> GetAsync(
        string phone, ClaimsPrincipal user, HttpRequest http, ConsentStore store, AuditLog audit, IOptions<ConsentOptions> options, CancellationToken ct)
    {
        if (!Phone.TryNormalize(phone, options.Value.DefaultRegion, out var e164))
        {
            return InvalidPhone(phone);
        }

        await audit.RecordAsync(user, http, ct);
        return TypedResults.Ok(await store.ViewAsync(e164, ct));
    }

    private static async Task<Results<Created<RecordedConsent>, ValidationProblem, ProblemHttpResult>> RecordAsync(
        string phone, RecordConsentRequest request, ClaimsPrincipal user, ConsentStore store, TimeProvider time, IOptions<ConsentOptions> options, CancellationToken ct)
    {
        if (!Phone.TryNormalize(phone, options.Value.DefaultRegion, out var e164))
        {
            return InvalidPhone(phone);
        }

        var errors = new Dictionary<string, string[]>();
        if (request.Channel is not ("sms" or "voice"))
        {
            errors["channel"] = ["channel must be sms or voice."];
        }

        if (request.State is null || !ConsentStates.Settable.Contains(request.State))
        {
            errors["state"] = ["state must be express, implied, opted_out or do_not_contact."];
        }

        if (string.IsNullOrWhiteSpace(request.Evidence) || request.Evidence.Length > 4000)
        {
            errors["evidence"] = ["evidence (what the customer said or signed, where and when) is required, at most 4000 characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, type: Problems.TypeBase + "validation");
        }

        var actor = $"{user.Identity?.Name} ({user.FindFirstValue(ClaimTypes.NameIdentifier)})";
        var result = await store.ChangeAsync(new ConsentChange(e164, request.Channel!, request.State!, "api", null, actor, request.Evidence!.Trim(), time.GetUtcNow()), ct);
        return TypedResults.Created($"/api/consent/{Uri.EscapeDataString(e164)}",
            new RecordedConsent(result.EventId, e164, request.Channel!, result.OldState, request.State!));
    }

    private static EventFilter? ParseFilter(string? phone, DateTimeOffset? from, DateTimeOffset? to, string? type, string region, out string? error)
    {
        error = null;
        string? e164 = null;
        if (!string.IsNullOrWhiteSpace(phone) && !Phone.TryNormalize(phone, region, out e164))
        {
            error = $"'{phone}' is not a phone number.";
            return null;
        }

        if (!string.IsNullOrWhiteSpace(type) && !ConsentStates.Settable.Contains(type))
        {
            error = "type must be express, implied, opted_out or do_not_contact.";
            return null;
        }

        return new EventFilter(e164, from, to, string.IsNullOrWhiteSpace(type) ? null : type);
    }

    private static async Task<Results<Ok<EventPage>, ProblemHttpResult>> EventsAsync(
        string? phone, DateTimeOffset? from, DateTimeOffset? to, string? type, int? page, int? pageSize,
        ClaimsPrincipal user, HttpRequest http, AuditLog audit, ConsentStore store, IOptions<ConsentOptions> options, CancellationToken ct)
    {
        var filter = ParseFilter(phone, from, to, type, options.Value.DefaultRegion, out var error);
        var size = pageSize ?? 50;
        var number = page ?? 1;
        if (filter is null || size is < 1 or > 500 || number < 1)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "invalid-query", "The ledger query is not valid.",
                error ?? "page starts at 1; pageSize is 1 to 500.");
        }

        // Note: computed in 64 bits (page × pageSize overflowed int into a negative OFFSET, a 500), and bounded: an
        // OFFSET reads and discards every row before it, so a page deeper than MaxPageDepth is refused; a
        // narrower filter, or the CSV (streamed), reaches any row.
        var offset = (number - 1L) * size;
        if (offset > MaxPageDepth)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "invalid-query", "The ledger query is not valid.",
                $"page {number} of {size} goes deeper than {MaxPageDepth:N0} rows; narrow it with phone, from, to or type, or export events.csv.");
        }

        await audit.RecordAsync(user, http, ct);
        var (total, events) = await store.EventPageAsync(filter, size, offset, ct);
        return TypedResults.Ok(new EventPage(number, size, total, events));
    }

    private static async Task<IResult> EventsCsvAsync(
        string? phone, DateTimeOffset? from, DateTimeOffset? to, string? type,
        ClaimsPrincipal user, HttpRequest http, AuditLog audit, ConsentStore store, IOptions<ConsentOptions> options, CancellationToken ct)
    {
        var filter = ParseFilter(phone, from, to, type, options.Value.DefaultRegion, out var error);
        if (filter is null)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "invalid-query", "The ledger query is not valid.", error);
        }

        await audit.RecordAsync(user, http, ct);
        // Note: streamed, each row written as it is read (one query, so one snapshot): the ledger only grows and an
        // export of all of it must not be held in memory. A failure half way cuts the download short (the status
        // was sent with the first bytes); the file then lacks rows, which a re-export or verify shows.
        return Results.Stream(async body =>
        {
            await using var text = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024, leaveOpen: true);
            // Note: every flush is asynchronous (Kestrel refuses synchronous writes), so both writers are left open and flushed here.
            await using (var csv = new CsvWriter(text, CsvSettings, leaveOpen: true))
            {
                // Times as ISO 8601 with their offset (UTC, "Z"), as the JSON writes them, never in a server culture.
                csv.Context.TypeConverterOptionsCache.GetOptions<DateTime>().Formats = ["yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"];
                await csv.WriteRecordsAsync(store.EventsAsync(filter, ct), ct);
                await csv.FlushAsync();
            }

            await text.FlushAsync(ct);
        }, "text/csv", "consent-events.csv");
    }

    /// <summary>
    /// Note: evidence, actors and notes are customers' and staff's own words. A cell starting with =, +, -, @, tab or
    /// carriage return is a formula to a spreadsheet (OWASP "CSV Injection"), so such a value is written with a
    /// leading single quote. Phone numbers in E.164 start with + and are quoted the same way.
    /// </summary>
    private static readonly CsvConfiguration CsvSettings = new(CultureInfo.InvariantCulture)
    {
        InjectionOptions = InjectionOptions.Escape,
        InjectionCharacters = ['=', '+', '-', '@', '\t', '\r'],
        InjectionEscapeCharacter = '\'',
    };

    /// <summary>
    /// Recomputes the chain and checks it against the head, the stored checkpoints, the current states, and, when
    /// <paramref name="eventId"/>, <paramref name="hash"/> and <paramref name="signature"/> are given, an auditor's
    /// own copy of a checkpoint.
    /// </summary>
    private static async Task<Results<Ok<VerifyResult>, ProblemHttpResult>> VerifyAsync(
        long? eventId, string? hash, string? signature, ClaimsPrincipal user, HttpRequest http, AuditLog audit, LedgerVerifier verifier, CancellationToken ct)
    {
        CheckpointClaim? claim = null;
        if (eventId is not null || hash is not null || signature is not null)
        {
            if (eventId is not >= 0 || string.IsNullOrWhiteSpace(hash) || string.IsNullOrWhiteSpace(signature))
            {
                return Problems.Create(StatusCodes.Status400BadRequest, "invalid-checkpoint", "The checkpoint is incomplete.",
                    "Give eventId, hash and signature exactly as GET /api/consent/checkpoints exported them.");
            }

            claim = new CheckpointClaim(eventId.Value, hash.Trim(), signature.Trim());
        }

        await audit.RecordAsync(user, http, ct);
        return TypedResults.Ok(await verifier.VerifyAsync(claim, ct));
    }

    /// <summary>Every stored checkpoint, for an auditor to keep.</summary>
    private static async Task<Ok<IReadOnlyList<Checkpoint>>> CheckpointsAsync(
        ClaimsPrincipal user, HttpRequest http, AuditLog audit, CheckpointStore checkpoints, CancellationToken ct)
    {
        await audit.RecordAsync(user, http, ct);
        return TypedResults.Ok(await checkpoints.ListAsync(ct));
    }

    /// <summary>Signs the head now (or answers the checkpoint already signed at it), once the chain since the previous checkpoint holds.</summary>
    private static async Task<Results<Created<Checkpoint>, ProblemHttpResult>> CreateCheckpointAsync(
        ClaimsPrincipal user, HttpRequest http, AuditLog audit, CheckpointStore checkpoints, CancellationToken ct)
    {
        await audit.RecordAsync(user, http, ct);
        var attempt = await checkpoints.CreateAsync(ct);
        if (attempt.Checkpoint is { } checkpoint)
        {
            return TypedResults.Created("/api/consent/checkpoints", checkpoint);
        }

        return Problems.Create(StatusCodes.Status409Conflict, "ledger-chain-broken", "The ledger does not hold since the previous checkpoint; nothing was signed.",
            $"{string.Join(" ", attempt.Problems)} GET /api/consent/verify says what is wrong.");
    }

    private static ProblemHttpResult InvalidPhone(string phone) =>
        Problems.Create(StatusCodes.Status400BadRequest, "invalid-phone", "Not a phone number.", $"'{phone}' is not a possible phone number.");
}
