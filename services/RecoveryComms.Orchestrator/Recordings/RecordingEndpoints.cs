using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Polly.Timeout;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Hosting;
using RecoveryComms.Orchestrator.Actions;
using RecoveryComms.Orchestrator.Views;
using RecoveryComms.Telephony.Rest;

namespace RecoveryComms.Orchestrator.Recordings;

/// <summary>
/// Voicemails and recorded callbacks, streamed through the orchestrator from Twilio with the account's credentials,
/// so the console never holds a Twilio URL. The media URL is built from the stored SID alone (see
/// <see cref="ITwilioRestClient.OpenRecordingAsync"/>), never from the stored recording URL.
/// </summary>
public static partial class RecordingEndpoints
{
    public static IEndpointRouteBuilder MapRecordingEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/recoveries/{id:guid}/voicemail", VoicemailAsync).RequireAuthorization(Policies.CsrOrAbove);
        endpoints.MapGet("/api/recoveries/{id:guid}/attempts/{attemptId:guid}/recording", AttemptRecordingAsync).RequireAuthorization(Policies.CsrOrAbove);
        return endpoints;
    }

    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> VoicemailAsync(
        Guid id, HttpContext http, NpgsqlDataSource dataSource, ITwilioRestClient twilio, ILoggerFactory loggers, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-store";
        var item = await RecordingQueries.VoicemailAsync(dataSource, id, ct);
        if (item is null)
        {
            return Problems.Create(404, "not-found", "No such recovery item.");
        }

        return item.Value.RecordingSid is { } sid
            ? await StreamAsync(http, twilio, sid, id, item.Value.Phone, loggers, ct)
            : Problems.Create(404, "no-recording", "This item has no voicemail recording.");
    }

    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> AttemptRecordingAsync(
        Guid id, Guid attemptId, HttpContext http, ClaimsPrincipal user, NpgsqlDataSource dataSource, ITwilioRestClient twilio, ILoggerFactory loggers,
        CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-store";
        var attempt = await RecordingQueries.AttemptRecordingAsync(dataSource, id, attemptId, ct);
        if (attempt is null)
        {
            return Problems.Create(404, "not-found", "No such call attempt on this item.");
        }

        // Note: a recorded callback is the CSR's own conversation: managers review them, and the CSR who made it may hear it.
        if (!ItemActions.IsManager(user) && QueueEndpoints.Me(user).Id != attempt.Value.CsrId)
        {
            return Problems.Create(403, "not-your-call", "Only a manager or the CSR who made the call may play its recording.");
        }

        return attempt.Value.RecordingSid is { } sid
            ? await StreamAsync(http, twilio, sid, id, attempt.Value.Phone, loggers, ct)
            : Problems.Create(404, "no-recording", "This call was not recorded.");
    }

    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> StreamAsync(
        HttpContext http, ITwilioRestClient twilio, string recordingSid, Guid itemId, string? phone, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(RecordingEndpoints));
        if (!TwilioSids.IsRecording(recordingSid))
        {
            LogMalformedSid(logger, itemId);
            return Problems.Create(404, "no-recording", "The stored recording reference is not a Twilio recording SID.");
        }

        RecordingAudio? audio;
        try
        {
            audio = await twilio.OpenRecordingAsync(recordingSid, ct);
        }
        catch (Exception e) when (e is TwilioApiException or HttpRequestException or TimeoutRejectedException
            || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            LogUnavailable(logger, e, recordingSid, itemId, Phone.Mask(phone));
            return Problems.Create(502, "recording-unavailable", "Twilio did not hand over the recording; try again in a moment.");
        }

        if (audio is null)
        {
            LogMissing(logger, recordingSid, itemId, Phone.Mask(phone));
            return Problems.Create(404, "recording-missing", "Twilio has no such recording any more (it may have been deleted).");
        }

        // The result streams the body and disposes it; the answer it belongs to goes with the request.
        http.Response.RegisterForDispose(audio);
        if (audio.Length is { } length)
        {
            http.Response.ContentLength = length;
        }

        return TypedResults.Stream(audio.Content, "audio/mpeg");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording {RecordingSid} of item {ItemId} ({Phone}) could not be fetched from Twilio")]
    private static partial void LogUnavailable(ILogger logger, Exception e, string recordingSid, Guid itemId, string phone);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio has no recording {RecordingSid} of item {ItemId} ({Phone})")]
    private static partial void LogMissing(ILogger logger, string recordingSid, Guid itemId, string phone);

    [LoggerMessage(Level = LogLevel.Error, Message = "Item {ItemId} stores a recording reference that is not a recording SID")]
    private static partial void LogMalformedSid(ILogger logger, Guid itemId);
}
