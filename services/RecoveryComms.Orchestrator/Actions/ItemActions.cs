using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Orchestrator.Attempts;
using RecoveryComms.Orchestrator.Intake;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Owners;
using RecoveryComms.Orchestrator.Settings;
using RecoveryComms.Orchestrator.Timers;
using RecoveryComms.Orchestrator.Users;

namespace RecoveryComms.Orchestrator.Actions;

/// <summary>What CSRs and managers do to an item: claim, reassign, park in limbo, record a voicemail left, dispose, and create callbacks.</summary>
public sealed class ItemActions(
    NpgsqlDataSource dataSource, ItemChanges changes, DispositionReasons reasons, Contacts contacts, LoopClock clock,
    Hosting.Business.ShopCalendar calendar, IOptions<PhoneOptions> phones, UserStore users, ShopSettings settings, ItemEmergencies emergencies)
{

    public Task<ActionResult<Guid>> ClaimAsync(Guid id, Actor csr, CancellationToken ct) =>
        ChangeAsync(id, csr, item => item.Claim(csr.Id!.Value, csr.Name, changes.Now), null, ct);

    public async Task<ActionResult<Guid>> ReassignAsync(Guid id, ReassignRequest request, Actor manager, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.PrimaryOwnerId is null || request.BackupOwnerId is null || request.PrimaryOwnerId == request.BackupOwnerId)
        {
            return Act.No<Guid>(400, "validation", "primaryOwnerId and backupOwnerId are required and must be two different people.");
        }

        if (!await users.CanOwnItemsAsync([request.PrimaryOwnerId.Value, request.BackupOwnerId.Value], ct))
        {
            return Act.No<Guid>(400, "unknown-user", "Both owners must be existing CSRs, managers or admins.");
        }

        return await ChangeAsync(id, manager, item => item.Reassign(request.PrimaryOwnerId.Value, request.BackupOwnerId.Value, manager.Name, changes.Now), null, ct);
    }

    /// <summary>A manager escalates an open item by hand (from the end-of-day list): it joins the Escalated view at once.</summary>
    public Task<ActionResult<Guid>> EscalateAsync(Guid id, Actor manager, CancellationToken ct) =>
        ChangeAsync(id, manager, item => item.Escalate(manager.Name, changes.Now), null, ct);

    /// <summary>The longest limbo note: it is shown in the timeline and the live queue, not a document store.</summary>
    public const int MaxLimboNoteLength = 500;

    public Task<ActionResult<Guid>> LimboAsync(Guid id, LimboRequest request, Actor actor, bool isManager, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (LimboNoteProblem(request.Note) is { } problem)
        {
            return Task.FromResult(Act.No<Guid>(400, "invalid-note", problem));
        }

        return ChangeAsync(id, actor, item => item.Park(request.NextCheckAt, request.Note, actor.Id!.Value, isManager, changes.Now), null, ct);
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

    /// <summary>The CSR left a voicemail on the latest attempt: at most one per loop.</summary>
    public Task<ActionResult<Guid>> VoicemailLeftAsync(Guid id, Actor csr, CancellationToken ct) =>
        ChangeAsync(id, csr, item => item.LeaveVoicemail(csr.Id!.Value, csr.Name), (c, tx, item) => AttemptStore.MarkVoicemailLeftAsync(c, tx, item.Id, ct), ct);

    public async Task<ActionResult<Guid>> DisposeAsync(Guid id, DispositionRequest request, Actor actor, bool isManager, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var outcome = request.Outcome?.Trim();
        if (!Outcomes.IsKnown(outcome) || outcome == Outcomes.OptedOut)
        {
            return Act.No<Guid>(400, "invalid-outcome", string.IsNullOrEmpty(outcome) ? "outcome is required." : "Unknown outcome.",
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

        if (reason is not null && !await reasons.ExistsAsync(reason, ct))
        {
            return Act.No<Guid>(400, "invalid-reason", $"Unknown reason '{reason}'.", "GET /api/dispositions lists them; a manager can add one.");
        }

        return await ChangeAsync(id, actor, item => item.Dispose(outcome!, reason, note, request.RescheduleAt?.UtcDateTime, actor.Id, isManager, changes.Now), async (c, tx, item) =>
        {
            if (outcome == Outcomes.RescheduleRequested)
            {
                var opening = new CallbackOpening(ItemTypes.PromisedUpdate, item.Phone, item.ShopLine, request.RescheduleAt, null, null, null,
                    $"Rescheduled from {item.Type} {item.Id}" + (string.IsNullOrEmpty(note) ? "" : ": " + note));
                await OpenCallbackAsync(c, tx, opening, new ContactInfo(item.ContactKey, item.AccountId, item.AccountName), new Duty(item.PrimaryOwnerId, item.BackupOwnerId, null), actor, ct);
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
        if (!Phone.TryNormalize(request.Phone, phones.Value.DefaultRegion, out var e164))
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
        var opening = new CallbackOpening(request.Type!, phone, null, request.DueAt, request.OriginalJobNumber?.Trim(), request.TechName?.Trim(),
            request.JobType?.Trim(), request.Note?.Trim());
        var item = await OpenCallbackAsync(c, tx, opening, contact, null, actor, ct);
        await emergencies.CheckAsync(c, tx, item, opening.Details, EmergencySources.Note, ct);
        await tx.CommitAsync(ct);
        return Act.Ok(item.Id);
    }

    /// <summary>Opens a callback item, owned by <paramref name="named"/> where they are named, else by the duty of the day its clock starts.</summary>
    private async Task<RecoveryItem> OpenCallbackAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, CallbackOpening opening, ContactInfo contact, Duty? named, Actor actor, CancellationToken ct)
    {
        var now = new DateTimeOffset(changes.Now, TimeSpan.Zero);
        var times = clock.ForCallback(opening.Type, now, opening.DueAt);
        var pick = await ItemOwners.PickAsync(c, tx, calendar.Local(times.ClockStartsAt).DayOfWeek, settings.Current.FallbackOwners, named, ct);
        var item = RecoveryItem.FromCallback(Guid.CreateVersion7(), opening, contact, times, pick.Owners, now.UtcDateTime);
        await changes.CreateAsync(c, tx, item, actor, WithOwnerNote($"{opening.Type} callback created by {actor.Name}.", pick), ct);
        return item;
    }

    private static string WithOwnerNote(string detail, OwnerPick pick) => pick.Note is null ? detail : detail + " " + pick.Note;

    /// <summary>Load, ask the item, apply: the one shape of every action (and <paramref name="after"/>, in the same transaction, for what is not the item's).</summary>
    private async Task<ActionResult<Guid>> ChangeAsync(
        Guid id, Actor actor, Func<RecoveryItem, ItemChange> transition, Func<NpgsqlConnection, NpgsqlTransaction, RecoveryItem, Task>? after, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var item = await RecoveryItemStore.LockAsync(c, tx, id, ct);
        if (item is null)
        {
            return Act.No<Guid>(404, "not-found", "No such recovery item.");
        }

        var change = transition(item);
        if (change.Refusal is { } refusal)
        {
            return new ActionResult<Guid>(default, refusal);
        }

        await changes.ApplyAsync(c, tx, item, actor, change, ct);
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
