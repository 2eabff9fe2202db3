using Dapper;
using Npgsql;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Orchestrator.Attempts;
using RecoveryComms.Orchestrator.Intake;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Owners;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Actions;

/// <summary>What CSRs and managers do to an item: claim, reassign, park in limbo, record a voicemail left, dispose, and create callbacks.</summary>
public sealed class ItemActions(
    NpgsqlDataSource dataSource, ItemChanges changes, Outbox outbox, Contacts contacts, LoopClock clock, Hosting.Business.ShopCalendar calendar,
    IConfiguration configuration)
{
    private string DefaultRegion => configuration["Consent:DefaultRegion"] ?? "US";

    public Task<ActionResult<Guid>> ClaimAsync(Guid id, Actor csr, CancellationToken ct) => ChangeAsync(id, csr, item =>
    {
        var before = item.PrimaryOwnerId;
        var error = item.Claim(csr.Id!.Value, changes.Now);
        return error is not null
            ? (new Refusal(409, item.IsOpen ? "claimed-by-other" : "item-completed", error), null, null)
            : (null, TimelineKinds.Claimed, before == csr.Id ? $"{csr.Name} claimed it." : $"{csr.Name} claimed it (was {before?.ToString() ?? "unassigned"}).");
    }, null, ct);

    public async Task<ActionResult<Guid>> ReassignAsync(Guid id, ReassignRequest request, Actor manager, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.PrimaryOwnerId is null || request.BackupOwnerId is null || request.PrimaryOwnerId == request.BackupOwnerId)
        {
            return Act.No<Guid>(400, "validation", "primaryOwnerId and backupOwnerId are required and must be two different people.");
        }

        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            var known = await c.QuerySingleAsync<long>(new CommandDefinition(
                "SELECT count(*) FROM orchestrator.users WHERE id = ANY(@Ids) AND role IN ('csr', 'manager', 'admin')",
                new { Ids = new[] { request.PrimaryOwnerId.Value, request.BackupOwnerId.Value } }, cancellationToken: ct));
            if (known != 2)
            {
                return Act.No<Guid>(400, "unknown-user", "Both owners must be existing CSRs, managers or admins.");
            }
        }

        return await ChangeAsync(id, manager, item =>
        {
            if (!item.IsOpen)
            {
                return (new Refusal(409, "item-completed", "The item is completed."), null, null);
            }

            item.PrimaryOwnerId = request.PrimaryOwnerId;
            item.BackupOwnerId = request.BackupOwnerId;
            item.ClaimedAt = changes.Now;
            item.EodFlaggedAt = null;
            if (item.Status is ItemStatuses.Escalated or ItemStatuses.Limbo)
            {
                item.Status = ItemStatuses.NeedsCallback;
            }

            return (null, TimelineKinds.Reassigned, $"{manager.Name} reassigned it.");
        }, null, ct);
    }

    /// <summary>A manager escalates an open item by hand (from the end-of-day list): it joins the Escalated view at once.</summary>
    public Task<ActionResult<Guid>> EscalateAsync(Guid id, Actor manager, CancellationToken ct) => ChangeAsync(id, manager, item =>
    {
        if (!item.IsOpen)
        {
            return (new Refusal(409, "item-completed", "The item is completed."), null, null);
        }

        if (item.Status == ItemStatuses.Escalated)
        {
            return (new Refusal(409, "already-escalated", "The item is escalated already."), null, null);
        }

        item.Status = ItemStatuses.Escalated;
        item.EscalatedAt = changes.Now;
        item.EodFlaggedAt = null;
        return (null, TimelineKinds.Escalated, $"{manager.Name} escalated it.");
    }, null, ct);

    /// <summary>The longest limbo note: it is shown in the timeline and the live queue, not a document store.</summary>
    public const int MaxLimboNoteLength = 500;

    public Task<ActionResult<Guid>> LimboAsync(Guid id, LimboRequest request, Actor actor, bool isManager, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (LimboNoteProblem(request.Note) is { } problem)
        {
            return Task.FromResult(Act.No<Guid>(400, "invalid-note", problem));
        }

        return ParkAsync(id, request, actor, isManager, ct);
    }

    /// <summary>
    /// Why a limbo note is refused, or null. Note: control characters other than a line break (and bidirectional
    /// overrides) are refused rather than stripped: they can hide or reorder what a manager reads in the timeline, or
    /// break the CSV and the terminal a note is later read in, and a silent rewrite would change what the CSR wrote.
    /// </summary>
    internal static string? LimboNoteProblem(string? note)
    {
        if (note is null)
        {
            return null;
        }

        var text = note.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        if (text.Length > MaxLimboNoteLength)
        {
            return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The note is {text.Length} characters; at most {MaxLimboNoteLength}.");
        }

        return text.Any(c => (char.IsControl(c) && c != '\n') || c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'))
            ? "The note may contain line breaks but no other control characters."
            : null;
    }

    private Task<ActionResult<Guid>> ParkAsync(Guid id, LimboRequest request, Actor actor, bool isManager, CancellationToken ct) => ChangeAsync(id, actor, item =>
    {
        if (!item.IsOpen)
        {
            return (new Refusal(409, "item-completed", "The item is completed."), null, null);
        }

        if (!isManager && !item.IsOwnedBy(actor.Id!.Value))
        {
            return (new Refusal(403, "not-owner", "Only the owner or a manager can park an item."), null, null);
        }

        if (request.NextCheckAt is not { } next || next <= DateTimeOffset.FromUnixTimeMilliseconds(0) || next.UtcDateTime <= changes.Now)
        {
            return (new Refusal(400, "validation", "nextCheckAt is required and must be in the future."), null, null);
        }

        if (item.PrimaryOwnerId is null)
        {
            return (new Refusal(409, "no-owner", "A parked item must still have an owner: reassign it first."), null, null);
        }

        item.Status = ItemStatuses.Limbo;
        item.NextCheckAt = next.UtcDateTime;
        item.EodFlaggedAt = null;
        return (null, TimelineKinds.Limbo, $"Parked until {next:u}{(string.IsNullOrWhiteSpace(request.Note) ? "" : ": " + request.Note.Replace("\r\n", "\n", StringComparison.Ordinal).Trim())}.");
    }, async (c, tx, item) => await TimerStore.ArmAsync(c, tx, TimerKinds.LimboCheck, item.Id, new DateTimeOffset(item.NextCheckAt!.Value, TimeSpan.Zero), ct), ct);

    /// <summary>The CSR left a voicemail on the latest attempt: at most one per loop.</summary>
    public Task<ActionResult<Guid>> VoicemailLeftAsync(Guid id, Actor csr, CancellationToken ct) => ChangeAsync(id, csr, item =>
    {
        if (!item.IsOpen)
        {
            return (new Refusal(409, "item-completed", "The item is completed."), null, null);
        }

        if (!item.IsOwnedBy(csr.Id!.Value))
        {
            return (new Refusal(403, "not-owner", "Only the item's owner records its attempts."), null, null);
        }

        if (item.VoicemailLeft)
        {
            return (new Refusal(409, "voicemail-already-left", "A voicemail was already left in this loop; do not leave a second one.",
                "Send the loop's SMS or make the second attempt without a message."), null, null);
        }

        if (item.Attempts == 0)
        {
            return (new Refusal(409, "no-attempt", "Call the customer first: a voicemail is left on an attempt."), null, null);
        }

        item.VoicemailLeft = true;
        if (item.Status is ItemStatuses.InProgress or ItemStatuses.NeedsCallback)
        {
            item.Status = ItemStatuses.LeftMessage;
        }

        return (null, TimelineKinds.VoicemailLeft, $"{csr.Name} left a voicemail.");
    }, async (c, tx, item) => await c.ExecuteAsync(new CommandDefinition(
        """
        UPDATE orchestrator.call_attempts SET voicemail_left = true
        WHERE id = (SELECT id FROM orchestrator.call_attempts WHERE item_id = @Id AND counts ORDER BY started_at DESC LIMIT 1)
        """, new { item.Id }, tx, cancellationToken: ct)), ct);

    public async Task<ActionResult<Guid>> DisposeAsync(Guid id, DispositionRequest request, Actor actor, bool isManager, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var outcome = request.Outcome?.Trim();
        if (!Outcomes.IsKnown(outcome) || outcome == Outcomes.OptedOut)
        {
            return Act.No<Guid>(400, "invalid-outcome", "Unknown outcome.",
                "One of: " + string.Join(", ", Outcomes.All.Select(o => o.Code).Where(code => code != Outcomes.OptedOut)) + ".");
        }

        var note = request.Note?.Trim();
        if (note is { Length: > 200 } || note?.Any(char.IsControl) == true)
        {
            return Act.No<Guid>(400, "invalid-note", "The note is one line of at most 200 characters: what unlocked or blocked the booking.");
        }

        if (outcome == Outcomes.RescheduleRequested && (request.RescheduleAt is null || request.RescheduleAt.Value.UtcDateTime <= changes.Now))
        {
            return Act.No<Guid>(400, "reschedule-needs-time", "reschedule-requested needs rescheduleAt, a time in the future.");
        }

        var reason = string.IsNullOrWhiteSpace(request.Reason) ? null : request.Reason.Trim();
        if (outcome == Outcomes.BookedElsewhere)
        {
            reason ??= "chose-competitor";
        }

        if (reason is not null)
        {
            await using var c = await dataSource.OpenConnectionAsync(ct);
            if (!await c.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM orchestrator.disposition_reasons WHERE code = @Code)", new { Code = reason }, cancellationToken: ct)))
            {
                return Act.No<Guid>(400, "invalid-reason", $"Unknown reason '{reason}'.", "GET /api/dispositions lists them; a manager can add one.");
            }
        }

        Guid? rescheduled = null;
        return await ChangeAsync(id, actor, item =>
        {
            if (!item.IsOpen)
            {
                return (new Refusal(409, "item-completed", "The item already has a disposition."), null, null);
            }

            if (!isManager && !item.IsOwnedBy(actor.Id!.Value))
            {
                return (new Refusal(403, "not-owner", "Only the item's owner or a manager records its disposition."), null, null);
            }

            if (outcome is Outcomes.DoNotContact or Outcomes.WrongNumber && item.Phone is null)
            {
                return (new Refusal(422, "cannot-call-back", "A withheld caller has no number to flag."), null, null);
            }

            item.Dispose(outcome!, reason, note, request.RescheduleAt?.UtcDateTime, actor.Id, changes.Now);
            return (null, TimelineKinds.Disposed, $"{outcome}{(reason is null ? "" : " / " + reason)}{(string.IsNullOrEmpty(note) ? "" : ": " + note)}");
        }, async (c, tx, item) =>
        {
            if (outcome is Outcomes.DoNotContact or Outcomes.WrongNumber)
            {
                await outbox.EnqueueAsync(c, tx, new RecordContactDisposition(item.Id, item.Id, item.Phone!, outcome == Outcomes.DoNotContact,
                    outcome == Outcomes.WrongNumber, false, actor.Id ?? Guid.Empty, actor.Name, note ?? "", new DateTimeOffset(changes.Now, TimeSpan.Zero)), ct);
            }

            if (outcome == Outcomes.RescheduleRequested)
            {
                rescheduled = await CreateCallbackAsync(c, tx, ItemTypes.PromisedUpdate, item.Phone, item.ContactKey, item.AccountId, item.AccountName, item.ShopLine,
                    request.RescheduleAt, null, null, null, $"Rescheduled from {item.Type} {item.Id}" + (string.IsNullOrEmpty(note) ? "" : ": " + note), item.PrimaryOwnerId, item.BackupOwnerId, actor, ct);
            }
        }, ct);
    }

    /// <summary><c>POST /api/callbacks</c>: the callbacks a shop promises by other means than a missed call.</summary>
    public async Task<ActionResult<Guid>> CreateCallbackAsync(CallbackRequest request, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        await clock.SettingsLoadedAsync(ct);
        var errors = new List<string>();
        if (request.Type is null || !ItemTypes.Callbacks.Contains(request.Type))
        {
            errors.Add("type must be one of " + string.Join(", ", ItemTypes.Callbacks) + ".");
        }

        string? phone = null;
        if (!Phone.TryNormalize(request.Phone, DefaultRegion, out var e164))
        {
            errors.Add("phone must be a valid phone number.");
        }
        else
        {
            phone = e164;
        }

        if (request.Type == ItemTypes.PromisedUpdate && request.DueAt is null)
        {
            errors.Add("A promised-update needs dueAt, the promised time.");
        }

        if (request.Type == ItemTypes.Warranty && (string.IsNullOrWhiteSpace(request.OriginalJobNumber) || string.IsNullOrWhiteSpace(request.TechName)))
        {
            errors.Add("A warranty callback needs originalJobNumber and techName.");
        }

        foreach (var (name, value, max) in new[] { ("note", request.Note, 500), ("originalJobNumber", request.OriginalJobNumber, 60), ("techName", request.TechName, 100), ("jobType", request.JobType, 60) })
        {
            if (value is { } v && v.Length > max)
            {
                errors.Add($"{name} is at most {max} characters.");
            }
        }

        if (errors.Count > 0)
        {
            return Act.No<Guid>(400, "validation", "The callback is not valid.", string.Join(" ", errors));
        }

        var contact = await contacts.ResolveAsync(phone!, ct);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var id = await CreateCallbackAsync(c, tx, request.Type!, phone, contact.ContactKey, contact.AccountId, contact.AccountName, null, request.DueAt,
            request.OriginalJobNumber?.Trim(), request.TechName?.Trim(), request.JobType?.Trim(), request.Note?.Trim(), null, null, actor, ct);
        await tx.CommitAsync(ct);
        return Act.Ok(id);
    }

    private async Task<Guid> CreateCallbackAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, string type, string? phone, string contactKey, Guid? accountId, string? accountName, string? shopLine,
        DateTimeOffset? dueAt, string? jobNumber, string? techName, string? jobType, string? details, Guid? primary, Guid? backup, Actor actor, CancellationToken ct)
    {
        var now = new DateTimeOffset(changes.Now, TimeSpan.Zero);
        var times = clock.ForCallback(type, now, dueAt);
        var duty = await Rotation.DutyAsync(c, tx, calendar.Local(times.ClockStartsAt).DayOfWeek, ct);
        var item = new RecoveryItem
        {
            Id = Guid.CreateVersion7(),
            Type = type,
            Phone = phone,
            ContactKey = contactKey,
            AccountId = accountId,
            AccountName = accountName,
            ShopLine = shopLine,
            CreatedAt = now.UtcDateTime,
            ClockStartsAt = times.ClockStartsAt.UtcDateTime,
            FirstAttemptDueAt = times.FirstAttemptDueAt.UtcDateTime,
            SlaDueAt = times.SlaDueAt.UtcDateTime,
            DueAt = type is ItemTypes.PromisedUpdate or ItemTypes.PostJob ? dueAt?.UtcDateTime ?? times.SlaDueAt.UtcDateTime : times.SlaDueAt.UtcDateTime,
            Priority = ItemTypes.Priority(type),
            // Promised callbacks line up by their deadline; everything else by when it came in.
            SortAt = type == ItemTypes.PromisedUpdate ? times.SlaDueAt.UtcDateTime : now.UtcDateTime,
            PrimaryOwnerId = primary ?? duty.PrimaryUserId,
            BackupOwnerId = backup ?? duty.BackupUserId,
            AfterHours = times.AfterHours,
            OriginalJobNumber = jobNumber,
            TechName = techName,
            JobType = jobType,
            Details = details,
            UpdatedAt = now.UtcDateTime,
        };
        await changes.CreateAsync(c, tx, item, actor, $"{type} callback created by {actor.Name}.", ct);
        await changes.ArmLoopTimersAsync(c, tx, item, ct);
        return item.Id;
    }

    private delegate (Refusal? Refusal, string? Kind, string? Detail) Change(RecoveryItem item);

    private async Task<ActionResult<Guid>> ChangeAsync(Guid id, Actor actor, Change change, Func<NpgsqlConnection, NpgsqlTransaction, RecoveryItem, Task>? after, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var item = await RecoveryItemStore.LockAsync(c, tx, id, ct);
        if (item is null)
        {
            return Act.No<Guid>(404, "not-found", "No such recovery item.");
        }

        var (refusal, kind, detail) = change(item);
        if (refusal is not null)
        {
            return new ActionResult<Guid>(default, refusal);
        }

        if (kind is not null)
        {
            await changes.SaveAsync(c, tx, item, actor, kind, detail ?? "", ct);
        }

        if (after is not null)
        {
            await after(c, tx, item);
        }

        await tx.CommitAsync(ct);
        return Act.Ok(item.Id);
    }

    public static bool IsManager(System.Security.Claims.ClaimsPrincipal user) =>
        user is not null && (user.IsInRole(Roles.Manager) || user.IsInRole(Roles.Admin));
}
