using System.Collections.Concurrent;
using System.Globalization;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Orchestrator.Actions;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Settings;
using RecoveryComms.Orchestrator.Timers;
using RecoveryComms.Telephony.Messaging;

namespace RecoveryComms.Orchestrator.Sms;

public sealed record SmsRequest(string? WindowA, string? WindowB, string? Issue);

/// <summary><c>GET /api/recoveries/{id}/sms/preview</c>: the text a send would send now, its length, and whether it may.</summary>
public sealed record SmsPreview(
    string Body, bool Gsm7, int Units, int Segments, string WindowA, string WindowB, bool Allowed, IReadOnlyList<string> Reasons, bool AlreadySent);

public sealed record SmsAccepted(Guid SendId, Guid ItemId, string Status, string Body, int Segments, int Units, string? MessageSid, IReadOnlyList<string> Reasons);

/// <summary>
/// The loop's one SMS, always through the consent service's send gate (never straight to Twilio). The slot is
/// taken in a committed row first (a partial unique index allows one per item), then the gate is asked with the
/// row's id as its idempotency key, so a retry, a double click or a lost answer can never send a second text.
/// A refused or failed send gives the slot back.
/// </summary>
public sealed partial class RecoverySms(
    NpgsqlDataSource dataSource, ItemChanges changes, IClientFactory clients, ShopSettings settings, IOptions<RecoveryOptions> options,
    TimeProvider time, ILogger<RecoverySms> logger)
{
    public static readonly TimeSpan RecheckAfter = TimeSpan.FromMinutes(1);

    /// <summary>How long a preview reuses consent's answer for a number.</summary>
    public static readonly TimeSpan PreviewCacheFor = TimeSpan.FromSeconds(10);

    /// <summary>Numbers whose preview answer is kept at most (expired ones are dropped first, then all).</summary>
    private const int MaxPreviewDecisions = 10_000;

    private readonly ConcurrentDictionary<string, PreviewDecision> _previewDecisions = new(StringComparer.Ordinal);

    /// <summary>Consent's answer for a number, as a preview of one item at one version asked for it.</summary>
    private sealed record PreviewDecision(SuppressionDecision Decision, DateTimeOffset Until, Guid ItemId, int ItemVersion);

    /// <summary>What the automatic SMS offers when no callback block is open in the next two weeks (its longest window).</summary>
    public const string AnyTimeWindow = "at a time that suits you";

    public bool AutoSendEnabled => options.Value.AutoSmsAfterFirstAttempt;

    /// <summary>The template filled in, and its length in SMS terms.</summary>
    public (string Body, SmsLength Length) Compose(string windowA, string windowB, string? issue)
    {
        var current = settings.Current;
        var body = Fill(current.SmsTemplate, current.ShopName, windowA, windowB, issue);
        return (body, SmsSegments.Count(body));
    }

    public static string Fill(string template, string shop, string windowA, string windowB, string? issue) =>
        template
            .Replace("{shop}", shop, StringComparison.Ordinal)
            .Replace("{windowA}", windowA, StringComparison.Ordinal)
            .Replace("{windowB}", windowB, StringComparison.Ordinal)
            .Replace("{issue}", string.IsNullOrWhiteSpace(issue) ? "" : " about " + issue.Trim(), StringComparison.Ordinal);

    /// <summary>
    /// The length of a template filled the longest way the automatic SMS fills it: this shop name, both windows
    /// <see cref="AnyTimeWindow"/> (longer than any "tomorrow 10:00 am"), no issue.
    /// </summary>
    /// <remarks>
    /// Note: the automatic SMS is the one nobody can shorten at send time (it is refused as sms-too-long and the
    /// loop goes on without it), so a template must fit one segment filled that way to be saved. A CSR's own
    /// windows (up to 40 characters each) and issue (up to 60) are still checked per send, as before: filled at
    /// those maxima even the default template needs two segments, so they cannot be the bar for saving.
    /// </remarks>
    public static SmsLength LongestAutomaticFill(string template, string shop) =>
        SmsSegments.Count(Fill(template, shop, AnyTimeWindow, AnyTimeWindow, null));

    public async Task<ActionResult<SmsAccepted>> SendAsync(Guid itemId, Actor csr, SmsRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Validate(request) is { } invalid)
        {
            return new ActionResult<SmsAccepted>(null, invalid);
        }

        var (body, length) = Compose(request.WindowA!.Trim(), request.WindowB!.Trim(), request.Issue);
        if (length.Segments > 1)
        {
            return Act.No<SmsAccepted>(422, "sms-too-long",
                "The text must fit one SMS segment.",
                length.Gsm7
                    ? $"It counts {length.Units} GSM-7 characters (extension characters count twice); one segment holds 160."
                    : $"It needs UCS-2 (a character outside GSM-7) and counts {length.Units}; one segment holds 70. Use plain characters.");
        }

        return await ReserveAndSendAsync(itemId, csr, body, length, requireOwner: true, ct);
    }

    /// <summary>The 400 a send answers when the windows or the issue are missing, too long or not on one line.</summary>
    private static Refusal? Validate(SmsRequest request)
    {
        var errors = new List<string>();
        foreach (var (name, value) in new[] { ("windowA", request.WindowA), ("windowB", request.WindowB) })
        {
            if (string.IsNullOrWhiteSpace(value) || value.Length > 40 || value.Any(char.IsControl))
            {
                errors.Add($"{name} is required: the time offered, on one line of at most 40 characters (e.g. \"today 2-4 pm\").");
            }
        }

        if (request.Issue is { } issueText && (issueText.Length > 60 || issueText.Any(char.IsControl)))
        {
            errors.Add("issue is at most 60 characters on one line.");
        }

        return errors.Count > 0 ? new Refusal(400, "validation", "The SMS request is not valid.", string.Join(" ", errors)) : null;
    }

    /// <summary>
    /// What <see cref="SendAsync"/> would send with these inputs and whether it would be allowed now, without
    /// reserving the slot or sending anything. Omitted windows are the next two callback blocks, as the automatic
    /// SMS offers them. The reasons are the codes a send refuses with: the consent service's suppression codes
    /// (<c>opted-out</c>, <c>no-consent</c>, <c>a2p-not-registered</c>, …, asked with the same <see cref="CheckSuppression"/>
    /// the gate's policy answers) and the orchestrator's own (<c>not-owner</c>, <c>item-completed</c>,
    /// <c>cannot-call-back</c>, <c>sms-already-sent</c>, <c>sms-too-long</c>, <c>consent-unavailable</c>).
    /// </summary>
    /// <remarks>
    /// Note: consent's reasons are the number's opt-out, do-not-contact and flags, which a CSR may learn only for an
    /// item they own (the send refuses anyone else), so they are asked and answered only for the owner or a manager;
    /// anyone else gets the text and <c>not-owner</c>. Consent's answer is kept <see cref="PreviewCacheFor"/> per
    /// number (the console asks again at every pause in typing); the send itself always asks the gate afresh.
    /// </remarks>
    public async Task<ActionResult<SmsPreview>> PreviewAsync(Guid itemId, Actor csr, bool isManager, SmsRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(csr);
        ArgumentNullException.ThrowIfNull(request);
        var suggested = string.IsNullOrEmpty(request.WindowA) || string.IsNullOrEmpty(request.WindowB) ? NextWindows(time.GetUtcNow()) : null;
        var filled = request with { WindowA = string.IsNullOrEmpty(request.WindowA) ? suggested![0] : request.WindowA, WindowB = string.IsNullOrEmpty(request.WindowB) ? suggested![1] : request.WindowB };
        if (Validate(filled) is { } invalid)
        {
            return new ActionResult<SmsPreview>(null, invalid);
        }

        RecoveryItem? item;
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            item = await RecoveryItemStore.ReadAsync(c, itemId, ct);
        }

        if (item is null)
        {
            return Act.No<SmsPreview>(404, "not-found", "No such recovery item.");
        }

        var (windowA, windowB) = (filled.WindowA!.Trim(), filled.WindowB!.Trim());
        var (body, length) = Compose(windowA, windowB, filled.Issue);
        var reasons = new List<string>();
        if (!item.IsOpen)
        {
            reasons.Add("item-completed");
        }

        var owner = csr.Id is { } me && item.IsOwnedBy(me);
        if (!owner)
        {
            reasons.Add("not-owner");
        }

        if (item.SmsSent)
        {
            reasons.Add("sms-already-sent");
        }

        if (length.Segments > 1)
        {
            reasons.Add("sms-too-long");
        }

        if (item.Phone is null)
        {
            reasons.Add("cannot-call-back");
        }
        else if (owner || isManager)
        {
            var decision = await CheckSmsAsync(item, item.Phone, ct);
            reasons.AddRange(decision?.Reasons ?? ["consent-unavailable"]);
        }

        return Act.Ok(new SmsPreview(body, length.Gsm7, length.Units, length.Segments, windowA, windowB, reasons.Count == 0, reasons, item.SmsSent));
    }

    /// <summary>
    /// The consent service's suppression answer for SMS (the gate's own policy), from the last <see cref="PreviewCacheFor"/>
    /// when the same item, unchanged since, asked for it; null when it did not answer in time (not kept).
    /// </summary>
    /// <remarks>
    /// Note: an answer is reused only while the item is unchanged (its version): a STOP ends the customer's open items
    /// at once, and the console previews again on that change, so a fresh STOP is never hidden behind a kept answer.
    /// </remarks>
    private async Task<SuppressionDecision?> CheckSmsAsync(RecoveryItem item, string phone, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_previewDecisions.TryGetValue(phone, out var kept) && kept.ItemId == item.Id && kept.ItemVersion == item.Version
            && kept.Until > now && kept.Until - PreviewCacheFor <= now)
        {
            return kept.Decision;
        }

        SuppressionDecision decision;
        try
        {
            var answer = await clients.CreateRequestClient<CheckSuppression>().GetResponse<SuppressionDecision>(
                new CheckSuppression(NewId.NextGuid(), phone, "sms", now), ct,
                RequestTimeout.After(s: (int)Math.Ceiling(options.Value.ConsentTimeout.TotalSeconds)));
            decision = answer.Message;
        }
        catch (RequestTimeoutException)
        {
            return null;
        }

        if (_previewDecisions.Count >= MaxPreviewDecisions)
        {
            foreach (var (number, entry) in _previewDecisions)
            {
                if (entry.Until <= now)
                {
                    _previewDecisions.TryRemove(number, out _);
                }
            }

            if (_previewDecisions.Count >= MaxPreviewDecisions)
            {
                _previewDecisions.Clear();
            }
        }

        _previewDecisions[phone] = new PreviewDecision(decision, now + PreviewCacheFor, item.Id, item.Version);
        return decision;
    }

    /// <summary>After an unanswered first attempt, when the shop enables it: the next two callback blocks are offered.</summary>
    public async Task<ActionResult<SmsAccepted>> SendAutomaticAsync(Guid itemId, CancellationToken ct)
    {
        var windows = NextWindows(time.GetUtcNow());
        var (body, length) = Compose(windows[0], windows[1], null);
        return length.Segments > 1
            ? Act.No<SmsAccepted>(422, "sms-too-long", "The shop's template does not fit one segment.")
            : await ReserveAndSendAsync(itemId, Actor.System, body, length, requireOwner: false, ct);
    }

    private async Task<ActionResult<SmsAccepted>> ReserveAndSendAsync(Guid itemId, Actor actor, string body, SmsLength length, bool requireOwner, CancellationToken ct)
    {
        var sendId = Guid.CreateVersion7();
        string phone;
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            await using var tx = await c.BeginTransactionAsync(ct);
            var item = await RecoveryItemStore.LockAsync(c, tx, itemId, ct);
            if (item is null)
            {
                return Act.No<SmsAccepted>(404, "not-found", "No such recovery item.");
            }

            // If the gate's answer is lost, the recheck asks again with the same send id (never a second text).
            var now = time.GetUtcNow();
            var requested = item.SmsRequested(body, actor.Id, requireOwner, (now + RecheckAfter).UtcDateTime);
            if (requested.Refusal is { } refusal)
            {
                return new ActionResult<SmsAccepted>(null, refusal);
            }

            if (!await SmsSlotStore.TryReserveAsync(c, tx, sendId, itemId, actor.Id, body, now, ct))
            {
                return Act.No<SmsAccepted>(409, "sms-already-sent", "This loop's one SMS was already sent.");
            }

            phone = item.Phone!;
            await changes.ApplyAsync(c, tx, item, actor, requested, ct);
            await tx.CommitAsync(ct);
        }

        var result = await AskGateAsync(sendId, phone, body, ct);
        if (result is null)
        {
            return Act.Ok(new SmsAccepted(sendId, itemId, "requested", body, length.Segments, length.Units, null, []));
        }

        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            await using var tx = await c.BeginTransactionAsync(ct);
            await ApplyAsync(c, tx, result, ct);
            await tx.CommitAsync(ct);
        }

        return result.Status == "refused"
            ? Act.No<SmsAccepted>(422, "suppressed", "The SMS may not be sent to this number now.", string.Join(", ", result.Reasons), result.Reasons)
            : result.Status == "failed"
                ? Act.No<SmsAccepted>(502, "sms-failed", "Twilio refused the SMS; the loop may try again.", string.Join(", ", result.Reasons), result.Reasons)
                : Act.Ok(new SmsAccepted(sendId, itemId, result.Status, body, length.Segments, length.Units, result.MessageSid, result.Reasons));
    }

    /// <summary>Asks the gate; null when it did not answer in time (the recheck timer asks again).</summary>
    public async Task<SmsSendResult?> AskGateAsync(Guid sendId, string phone, string body, CancellationToken ct)
    {
        try
        {
            var answer = await clients.CreateRequestClient<SendSms>().GetResponse<SmsSendResult>(new SendSms(sendId, sendId, phone, body, time.GetUtcNow()), ct,
                RequestTimeout.After(s: (int)Math.Ceiling(options.Value.ConsentTimeout.TotalSeconds)));
            return answer.Message;
        }
        catch (RequestTimeoutException e)
        {
            LogGateSilent(e, sendId);
            return null;
        }
    }

    /// <summary>Records the gate's answer on the item (inside the caller's transaction).</summary>
    public async Task ApplyAsync(NpgsqlConnection c, NpgsqlTransaction tx, SmsSendResult result, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(result);
        var itemId = await SmsSlotStore.DecideAsync(c, tx, result.SendId, result.Status, result.Reasons, result.MessageSid, time.GetUtcNow(), ct);
        if (itemId is { } id && await RecoveryItemStore.LockAsync(c, tx, id, ct) is { } item)
        {
            await changes.ApplyAsync(c, tx, item, Actor.System, item.SmsSettled(result.Status, result.Reasons, (time.GetUtcNow() + RecheckAfter).UtcDateTime), ct);
        }
    }

    /// <summary>Two windows to offer: the next two callback blocks at least half an hour away, on open days.</summary>
    public IReadOnlyList<string> NextWindows(DateTimeOffset now)
    {
        var current = settings.Current;
        var blocks = current.CallbackBlocks;
        var calendar = current.Week;
        var today = calendar.Local(now).Date;
        var windows = new List<string>();
        for (var day = 0; day < 14 && windows.Count < 2; day++)
        {
            var date = today.PlusDays(day);
            foreach (var block in blocks)
            {
                var at = calendar.At(date, block);
                if (at > now + TimeSpan.FromMinutes(30) && calendar.IsOpen(at) && windows.Count < 2)
                {
                    var dayName = day switch { 0 => "today", 1 => "tomorrow", _ => date.DayOfWeek.ToString()[..3] };
                    windows.Add(string.Create(CultureInfo.InvariantCulture, $"{dayName} {block.ToString("h:mm tt", CultureInfo.InvariantCulture).ToLowerInvariant()}"));
                }
            }
        }

        while (windows.Count < 2)
        {
            windows.Add(AnyTimeWindow);
        }

        return windows;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The send gate did not answer for SMS {SendId}; the recheck will ask again")]
    private partial void LogGateSilent(Exception e, Guid sendId);
}
