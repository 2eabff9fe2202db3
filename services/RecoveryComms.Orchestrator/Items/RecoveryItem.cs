using System.Globalization;
using RecoveryComms.Orchestrator.Owners;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Items;

/// <summary>
/// One row of <c>orchestrator.recovery_items</c>, and the loop's rules: every change of an item is one method here
/// that checks whether it may happen now and answers with an <see cref="ItemChange"/> (a refusal, or what to record,
/// arm, cancel, alert and publish). Callers only load the item (<see cref="RecoveryItemStore.LockAsync"/>), call one
/// method and hand the answer to <see cref="ItemChanges.ApplyAsync"/>; nothing else writes a field.
/// </summary>
/// <remarks>
/// Note: the setters are private; Dapper fills them (and the private constructor) when it reads a row, and the
/// store reads the getters when it writes one. No method here touches a database, so the rules are tested in
/// milliseconds (tests/RecoveryComms.Rules.Tests/Items/RecoveryItemTests.cs).
/// </remarks>
public sealed class RecoveryItem
{
    /// <summary>Call attempts in one loop: a second one after the SMS, then a disposition.</summary>
    public const int MaxAttempts = 2;

    /// <summary>How much of a customer's reply the timeline shows (it is a timeline, not a document store).</summary>
    public const int MaxReplyShown = 300;

    private RecoveryItem()
    {
    }

    public Guid Id { get; private set; }

    public string Type { get; private set; } = "";

    public string Status { get; private set; } = ItemStatuses.NeedsCallback;

    public string? Phone { get; private set; }

    public string ContactKey { get; private set; } = "";

    public Guid? AccountId { get; private set; }

    public string? AccountName { get; private set; }

    public string? ShopLine { get; private set; }

    public int Occurrences { get; private set; } = 1;

    public DateTime CreatedAt { get; private set; }

    public DateTime ClockStartsAt { get; private set; }

    public DateTime FirstAttemptDueAt { get; private set; }

    public DateTime SlaDueAt { get; private set; }

    public DateTime? DueAt { get; private set; }

    public short Priority { get; private set; }

    public DateTime SortAt { get; private set; }

    public Guid? PrimaryOwnerId { get; private set; }

    public Guid? BackupOwnerId { get; private set; }

    public DateTime? ClaimedAt { get; private set; }

    public int Attempts { get; private set; }

    public DateTime? FirstAttemptAt { get; private set; }

    public bool SmsSent { get; private set; }

    public bool VoicemailLeft { get; private set; }

    public string? Transcript { get; private set; }

    public string? RecordingSid { get; private set; }

    public string? RecordingUrl { get; private set; }

    public bool AfterHours { get; private set; }

    public bool CannotCallBack { get; private set; }

    public bool ShortAbandon { get; private set; }

    public DateTime? BackupTriggeredAt { get; private set; }

    public DateTime? EscalatedAt { get; private set; }

    public DateTime? CustomerRepliedAt { get; private set; }

    public DateTime? NextCheckAt { get; private set; }

    public DateTime? EodFlaggedAt { get; private set; }

    public string? Outcome { get; private set; }

    public string? Reason { get; private set; }

    public string? Note { get; private set; }

    public DateTime? RescheduleAt { get; private set; }

    public DateTime? DisposedAt { get; private set; }

    public Guid? DisposedBy { get; private set; }

    public string? OriginalJobNumber { get; private set; }

    public string? TechName { get; private set; }

    public string? JobType { get; private set; }

    public string? Details { get; private set; }

    /// <summary>The emergency phrase or key that matched (<see cref="MarkEmergency"/>); null when the item is not an emergency by a rule.</summary>
    public string? EmergencyMatched { get; private set; }

    /// <summary>Where it matched (<see cref="EmergencySources"/>).</summary>
    public string? EmergencySource { get; private set; }

    public int Version { get; private set; } = 1;

    public DateTime UpdatedAt { get; private set; }

    public bool IsOpen => Status != ItemStatuses.Completed;

    public bool IsCall => ItemTypes.Calls.Contains(Type);

    /// <summary>Who may work the item: its primary owner (once the backup trigger fired, that is the backup).</summary>
    public bool IsOwnedBy(Guid userId) => PrimaryOwnerId == userId;

    // ---- Opening an item -------------------------------------------------------------------------------------

    /// <summary>
    /// A missed, abandoned or voicemailed call becomes an item: on the clock of <paramref name="times"/>, owned by
    /// the day's primary and backup, in the queue at the call's own time (an after-hours call is worked in the order
    /// it came). A withheld caller (<paramref name="phone"/> null) still counts the miss, and cannot be called back.
    /// </summary>
    public static RecoveryItem FromCall(Guid id, CapturedCall call, string? phone, ContactInfo contact, LoopTimes times, Duty duty, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(times);
        ArgumentNullException.ThrowIfNull(duty);
        var type = call.Kind switch { "voicemail" or "transcription" => ItemTypes.Voicemail, "abandoned" => ItemTypes.Abandoned, _ => ItemTypes.MissedCall };
        return new RecoveryItem
        {
            Id = id,
            Type = type,
            Phone = phone,
            ContactKey = contact.ContactKey,
            AccountId = contact.AccountId,
            AccountName = contact.AccountName,
            ShopLine = call.ShopLine,
            CreatedAt = call.OccurredAt.UtcDateTime,
            ClockStartsAt = times.ClockStartsAt.UtcDateTime,
            FirstAttemptDueAt = times.FirstAttemptDueAt.UtcDateTime,
            SlaDueAt = times.SlaDueAt.UtcDateTime,
            Priority = ItemTypes.Priority(type),
            SortAt = call.OccurredAt.UtcDateTime,
            PrimaryOwnerId = duty.PrimaryUserId,
            BackupOwnerId = duty.BackupUserId,
            Transcript = call.Transcript,
            RecordingSid = call.RecordingSid,
            RecordingUrl = call.RecordingUrl,
            AfterHours = times.AfterHours,
            CannotCallBack = phone is null,
            ShortAbandon = call.ShortAbandon,
            UpdatedAt = now,
        };
    }

    /// <summary>The timeline entry of a new call item.</summary>
    public string CreatedDetail => Phone is null ? $"{Type} from a withheld number: cannot call back." : $"{Type} captured.";

    /// <summary>
    /// A callback promised by other means than a missed call (<c>POST /api/callbacks</c>, a reschedule): owned by
    /// <paramref name="owners"/> (the day's duty unless the caller names them). A promised update and a post-job
    /// call are due at their promised time and a promised update lines up by that deadline; everything else by when it
    /// came in.
    /// </summary>
    public static RecoveryItem FromCallback(Guid id, CallbackOpening opening, ContactInfo contact, LoopTimes times, Duty owners, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(opening);
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(times);
        ArgumentNullException.ThrowIfNull(owners);
        var type = opening.Type;
        var sla = times.SlaDueAt.UtcDateTime;
        return new RecoveryItem
        {
            Id = id,
            Type = type,
            Phone = opening.Phone,
            ContactKey = contact.ContactKey,
            AccountId = contact.AccountId,
            AccountName = contact.AccountName,
            ShopLine = opening.ShopLine,
            CreatedAt = now,
            ClockStartsAt = times.ClockStartsAt.UtcDateTime,
            FirstAttemptDueAt = times.FirstAttemptDueAt.UtcDateTime,
            SlaDueAt = sla,
            DueAt = type is ItemTypes.PromisedUpdate or ItemTypes.PostJob ? opening.DueAt?.UtcDateTime ?? sla : sla,
            Priority = ItemTypes.Priority(type),
            SortAt = type == ItemTypes.PromisedUpdate ? sla : now,
            PrimaryOwnerId = owners.PrimaryUserId,
            BackupOwnerId = owners.BackupUserId,
            AfterHours = times.AfterHours,
            OriginalJobNumber = opening.OriginalJobNumber,
            TechName = opening.TechName,
            JobType = opening.JobType,
            Details = opening.Details,
            UpdatedAt = now,
        };
    }

    /// <summary>
    /// An emergency rule matched (a phrase in a voicemail, a reply, a callback note or a summary; a key press): the
    /// item goes to the top of the queue and takes the emergency windows from <paramref name="emergency"/>, in and out
    /// of hours (an after-hours item's clock starts now, not at the opening). Due times only ever move earlier. An item
    /// already marked keeps its first match; a closed one is left alone.
    /// </summary>
    public ItemChange MarkEmergency(EmergencyMatch match, LoopTimes emergency)
    {
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(emergency);
        if (!IsOpen || EmergencyMatched is not null)
        {
            return ItemChange.None;
        }

        EmergencyMatched = match.Matched;
        EmergencySource = match.Source;
        Priority = ItemTypes.Priority(ItemTypes.Emergency);
        var arm = new List<TimerArm>(2);
        var cancel = new List<string>(1);
        if (emergency.ClockStartsAt.UtcDateTime < ClockStartsAt)
        {
            ClockStartsAt = emergency.ClockStartsAt.UtcDateTime;
            cancel.Add(TimerKinds.ClockStart);
        }

        if (emergency.FirstAttemptDueAt.UtcDateTime < FirstAttemptDueAt)
        {
            FirstAttemptDueAt = emergency.FirstAttemptDueAt.UtcDateTime;
            if (Attempts == 0 && ClaimedAt is null)
            {
                arm.Add(new TimerArm(TimerKinds.FirstAttemptDue, FirstAttemptDueAt));
            }
        }

        if (emergency.SlaDueAt.UtcDateTime < SlaDueAt)
        {
            SlaDueAt = emergency.SlaDueAt.UtcDateTime;
            DueAt = DueAt is { } due && due < SlaDueAt ? due : SlaDueAt;
            if (Attempts == 0)
            {
                arm.Add(new TimerArm(TimerKinds.SlaDue, SlaDueAt));
            }
        }

        return ItemChange.Record(TimelineKinds.EmergencyDetected,
            $"Emergency: \"{match.Matched}\" in the {EmergencySources.Label(match.Source)}. It goes to the top of the queue on the emergency clock.") with
        {
            Arm = arm,
            Cancel = cancel,
        };
    }

    /// <summary>The loop's timers of a new item: the clock start (after hours), the backup trigger and the SLA.</summary>
    public IReadOnlyList<TimerArm> LoopTimers(DateTime now)
    {
        var timers = new List<TimerArm>(3);
        if (ClockStartsAt > now)
        {
            timers.Add(new TimerArm(TimerKinds.ClockStart, ClockStartsAt));
        }

        timers.Add(new TimerArm(TimerKinds.FirstAttemptDue, FirstAttemptDueAt));
        timers.Add(new TimerArm(TimerKinds.SlaDue, SlaDueAt));
        return timers;
    }

    /// <summary>
    /// Another report of a call joins the customer's open item: a new call counts as an occurrence (the item keeps
    /// its place), a voicemail makes it a voicemail item, a missed call after an abandoned one a missed call, and a
    /// transcript or recording is kept.
    /// </summary>
    public ItemChange MergeCall(CapturedCall call, bool newCall, ContactInfo contact)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(contact);
        if (newCall)
        {
            Occurrences++;
            ShortAbandon = ShortAbandon && call.ShortAbandon;
        }

        AccountName ??= contact.AccountName;
        AccountId ??= contact.AccountId;
        if (call.Kind == "voicemail" && IsOpen && IsCall)
        {
            Type = ItemTypes.Voicemail;
        }
        else if (call.Kind == "missed" && Type == ItemTypes.Abandoned)
        {
            Type = ItemTypes.MissedCall;
        }

        if (call.Transcript is { Length: > 0 } transcript)
        {
            Transcript = transcript;
        }

        if (call.RecordingSid is not null)
        {
            RecordingSid = call.RecordingSid;
            RecordingUrl = call.RecordingUrl;
        }

        if (newCall)
        {
            return ItemChange.Record(TimelineKinds.Merged, string.Create(CultureInfo.InvariantCulture, $"Called again ({call.Kind}); {Occurrences} calls in this recovery."));
        }

        return call.Kind switch
        {
            "voicemail" => ItemChange.Record(TimelineKinds.Merged, "Left a voicemail on the same call."),
            "transcription" => ItemChange.Record(TimelineKinds.Transcribed, "Voicemail transcribed."),
            _ => ItemChange.Record(TimelineKinds.Merged, $"Same call reported {call.Kind}."),
        };
    }

    // ---- What people do ---------------------------------------------------------------------------------------

    /// <summary>
    /// A CSR takes the item and it is in progress. The person the claim displaces stays named: when the claimer was
    /// the backup, or there was no backup, the previous primary becomes the backup; otherwise the backup stays.
    /// A claim of one's own item again is recorded again; another CSR's claimed item is a manager's to reassign.
    /// </summary>
    public ItemChange Claim(Guid userId, string userName, DateTime at)
    {
        if (!IsOpen)
        {
            return ItemChange.Refuse(409, "item-completed", "The item is completed.");
        }

        var before = PrimaryOwnerId;
        if (!(PrimaryOwnerId == userId && ClaimedAt is not null))
        {
            if (ClaimedAt is not null && PrimaryOwnerId is not null && PrimaryOwnerId != userId)
            {
                return ItemChange.Refuse(409, "claimed-by-other", "Another CSR already claimed this item; a manager can reassign it.");
            }

            if (BackupOwnerId == userId || (BackupOwnerId is null && PrimaryOwnerId != userId))
            {
                BackupOwnerId = PrimaryOwnerId;
            }

            PrimaryOwnerId = userId;
            ClaimedAt = at;
            if (Status is ItemStatuses.NeedsCallback or ItemStatuses.Escalated or ItemStatuses.Limbo)
            {
                Status = ItemStatuses.InProgress;
            }
        }

        return ItemChange.Record(TimelineKinds.Claimed,
            before == userId ? $"{userName} claimed it." : $"{userName} claimed it (was {before?.ToString() ?? "unassigned"}).");
    }

    /// <summary>A manager names the two owners: the item is claimed by the new primary, and back in the queue when it was escalated or parked.</summary>
    public ItemChange Reassign(Guid primary, Guid backup, string managerName, DateTime at)
    {
        if (!IsOpen)
        {
            return ItemChange.Refuse(409, "item-completed", "The item is completed.");
        }

        PrimaryOwnerId = primary;
        BackupOwnerId = backup;
        ClaimedAt = at;
        EodFlaggedAt = null;
        if (Status is ItemStatuses.Escalated or ItemStatuses.Limbo)
        {
            Status = ItemStatuses.NeedsCallback;
        }

        return ItemChange.Record(TimelineKinds.Reassigned, $"{managerName} reassigned it.");
    }

    /// <summary>A manager escalates an open item by hand (from the end-of-day list): it joins the Escalated view at once.</summary>
    public ItemChange Escalate(string managerName, DateTime at)
    {
        if (!IsOpen)
        {
            return ItemChange.Refuse(409, "item-completed", "The item is completed.");
        }

        if (Status == ItemStatuses.Escalated)
        {
            return ItemChange.Refuse(409, "already-escalated", "The item is escalated already.");
        }

        Status = ItemStatuses.Escalated;
        EscalatedAt = at;
        EodFlaggedAt = null;
        return ItemChange.Record(TimelineKinds.Escalated, $"{managerName} escalated it.");
    }

    /// <summary>
    /// The owner (or a manager) parks the item in limbo until <paramref name="nextCheckAt"/>: it keeps its owner, and
    /// comes back to the queue then (<see cref="ReturnFromLimbo"/>). The note was checked by the caller.
    /// </summary>
    public ItemChange Park(DateTimeOffset? nextCheckAt, string? note, Guid actorId, bool isManager, DateTime now)
    {
        if (!IsOpen)
        {
            return ItemChange.Refuse(409, "item-completed", "The item is completed.");
        }

        if (!isManager && !IsOwnedBy(actorId))
        {
            return ItemChange.Refuse(403, "not-owner", "Only the owner or a manager can park an item.");
        }

        if (nextCheckAt is not { } next || next.UtcDateTime <= now)
        {
            return ItemChange.Refuse(400, "validation", "nextCheckAt is required and must be in the future.");
        }

        if (PrimaryOwnerId is null)
        {
            return ItemChange.Refuse(409, "no-owner", "A parked item must still have an owner: reassign it first.");
        }

        Status = ItemStatuses.Limbo;
        NextCheckAt = next.UtcDateTime;
        EodFlaggedAt = null;
        var shown = string.IsNullOrWhiteSpace(note) ? "" : ": " + note.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        return ItemChange.Record(TimelineKinds.Limbo, $"Parked until {next:u}{shown}.") with
        {
            Arm = [new TimerArm(TimerKinds.LimboCheck, next.UtcDateTime)],
        };
    }

    /// <summary>The owner left a voicemail on the latest attempt: at most one per loop (the second attempt is made without one).</summary>
    public ItemChange LeaveVoicemail(Guid csrId, string csrName)
    {
        if (!IsOpen)
        {
            return ItemChange.Refuse(409, "item-completed", "The item is completed.");
        }

        if (!IsOwnedBy(csrId))
        {
            return ItemChange.Refuse(403, "not-owner", "Only the item's owner records its attempts.");
        }

        if (VoicemailLeft)
        {
            return ItemChange.Refuse(409, "voicemail-already-left", "A voicemail was already left in this loop; do not leave a second one.",
                "Send the loop's SMS or make the second attempt without a message.");
        }

        if (Attempts == 0)
        {
            return ItemChange.Refuse(409, "no-attempt", "Call the customer first: a voicemail is left on an attempt.");
        }

        VoicemailLeft = true;
        if (Status is ItemStatuses.InProgress or ItemStatuses.NeedsCallback)
        {
            Status = ItemStatuses.LeftMessage;
        }

        return ItemChange.Record(TimelineKinds.VoicemailLeft, $"{csrName} left a voicemail.");
    }

    /// <summary>Why a disposition does not fit this loop, or null: what it claims must have happened.</summary>
    public string? DispositionMisfit(string outcome) => outcome switch
    {
        Outcomes.NoAnswerTwoAttempts when Attempts < MaxAttempts =>
            string.Create(CultureInfo.InvariantCulture, $"no-answer-two-attempts needs {MaxAttempts} call attempts; this loop has had {Attempts}."),
        Outcomes.LeftVoicemail when Attempts == 0 => "left-voicemail needs a call attempt first: a voicemail is left on an attempt.",
        _ => null,
    };

    /// <summary>
    /// Closes the loop with an outcome: the only way an item is completed (its timers are cancelled with it). A
    /// do-not-contact or wrong-number outcome is recorded by the consent service too.
    /// </summary>
    public ItemChange Dispose(string outcome, string? reason, string? note, DateTime? rescheduleAt, Guid? by, bool isManager, DateTime at)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!IsOpen)
        {
            return ItemChange.Refuse(409, "item-completed", "The item already has a disposition.");
        }

        if (!isManager && (by is null || !IsOwnedBy(by.Value)))
        {
            return ItemChange.Refuse(403, "not-owner", "Only the item's owner or a manager records its disposition.");
        }

        var flags = outcome is Outcomes.DoNotContact or Outcomes.WrongNumber;
        if (flags && Phone is null)
        {
            return ItemChange.Refuse(422, "cannot-call-back", "A withheld caller has no number to flag.");
        }

        if (DispositionMisfit(outcome) is { } misfit)
        {
            return ItemChange.Refuse(409, "outcome-does-not-fit", "The outcome does not fit what happened in this loop.", misfit);
        }

        Close(outcome, reason, note, rescheduleAt, by, at);
        return ItemChange.Record(TimelineKinds.Disposed, $"{outcome}{(reason is null ? "" : " / " + reason)}{(string.IsNullOrEmpty(note) ? "" : ": " + note)}") with
        {
            FlagsContact = flags,
        };
    }

    // ---- Calls and the one SMS ---------------------------------------------------------------------------------

    /// <summary>
    /// The owner places a call: at most <see cref="MaxAttempts"/> per loop. It counts at once (so
    /// the timers see it), and is checked at Twilio at <paramref name="checkAt"/> whatever happens to its reports.
    /// </summary>
    public ItemChange AttemptPlaced(Guid csrId, string csrName, DateTime at, DateTime checkAt)
    {
        if (!IsOpen)
        {
            return ItemChange.Refuse(409, "item-completed", "The item is completed.");
        }

        if (!IsOwnedBy(csrId))
        {
            return ItemChange.Refuse(403, "not-owner", "Only the item's owner places its calls; claim it first.");
        }

        if (Attempts >= MaxAttempts)
        {
            return ItemChange.Refuse(409, "attempts-exhausted", string.Create(CultureInfo.InvariantCulture, $"This loop already had {MaxAttempts} call attempts."),
                "Record a disposition (no-answer-two-attempts, left-voicemail, …) or a reschedule.");
        }

        Attempts++;
        FirstAttemptAt ??= at;
        if (Status is ItemStatuses.NeedsCallback or ItemStatuses.Escalated or ItemStatuses.Limbo or ItemStatuses.LeftMessage)
        {
            Status = ItemStatuses.InProgress;
        }

        return ItemChange.Record(TimelineKinds.AttemptPlaced,
            string.Create(CultureInfo.InvariantCulture, $"Attempt {Attempts}: ringing {csrName}'s phone, then the customer from the shop line.")) with
        {
            Arm = [new TimerArm(TimerKinds.AttemptCheck, checkAt)],
        };
    }

    /// <summary>The attempt reached its end with the customer dialled (answered or not): it counts, as placed.</summary>
    public ItemChange AttemptSettled(string description) => ItemChange.Record(TimelineKinds.AttemptResult, description);

    /// <summary>
    /// An attempt that never dialled the customer (the CSR's phone did not answer, Twilio refused or never placed
    /// it) gives its place in the loop back: <paramref name="counted"/> and <paramref name="firstAt"/> are the
    /// attempts that still count. With none left, an unclaimed item is back to needing a callback, and its SLA timer is
    /// armed again at its due time: it may have fired while this attempt still counted, and then fires at once.
    /// </summary>
    public ItemChange AttemptNotCounted(int counted, DateTime? firstAt, string description)
    {
        Attempts = counted;
        FirstAttemptAt = firstAt;
        if (Attempts == 0 && Status == ItemStatuses.InProgress && ClaimedAt is null)
        {
            Status = ItemStatuses.NeedsCallback;
        }

        return ItemChange.Record(TimelineKinds.AttemptResult, description) with
        {
            Arm = Attempts == 0 && IsOpen ? [new TimerArm(TimerKinds.SlaDue, SlaDueAt)] : [],
        };
    }

    /// <summary>
    /// Whether the shop's automatic SMS goes out after this attempt: only after an unanswered first attempt, and
    /// only when the loop's one SMS is still unused (at most one SMS between the two attempts).
    /// </summary>
    public bool WantsAutomaticSms(string attemptResult) => attemptResult != "answered" && Attempts == 1 && !SmsSent && IsOpen;

    /// <summary>
    /// The loop's one SMS is reserved (the gate decides whether it goes): it is taken at once, so a second request
    /// is refused while the first is decided; if the gate's answer is lost, <paramref name="recheckAt"/> asks again.
    /// </summary>
    public ItemChange SmsRequested(string body, Guid? actorId, bool requireOwner, DateTime recheckAt)
    {
        if (!IsOpen)
        {
            return ItemChange.Refuse(409, "item-completed", "The item is completed.");
        }

        if (requireOwner && (actorId is null || !IsOwnedBy(actorId.Value)))
        {
            return ItemChange.Refuse(403, "not-owner", "Only the item's owner sends its SMS; claim it first.");
        }

        if (Phone is null)
        {
            return ItemChange.Refuse(422, "cannot-call-back", "The caller withheld their number: nobody can text back.");
        }

        if (SmsSent)
        {
            return ItemChange.Refuse(409, "sms-already-sent", "This loop's one SMS was already sent.");
        }

        SmsSent = true;
        return ItemChange.Record(TimelineKinds.SmsRequested, body) with { Arm = [new TimerArm(TimerKinds.SmsRecheck, recheckAt)] };
    }

    /// <summary>
    /// The send gate decided the SMS: sent (a message was left), unknown (it is never resent: the slot stays taken and
    /// the outcome is asked again at <paramref name="recheckAt"/>), or refused/failed (the slot is free again).
    /// </summary>
    public ItemChange SmsSettled(string status, IReadOnlyList<string> reasons, DateTime recheckAt)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        switch (status)
        {
            case "sent":
                SmsSent = true;
                if (Status is ItemStatuses.InProgress or ItemStatuses.NeedsCallback)
                {
                    Status = ItemStatuses.LeftMessage;
                }

                return ItemChange.Record(TimelineKinds.SmsResult, "SMS sent.") with { Cancel = [TimerKinds.SmsRecheck] };
            case "unknown":
                SmsSent = true;
                return ItemChange.Record(TimelineKinds.SmsResult, "SMS outcome unknown: the consent service is reconciling it with Twilio (it is never resent).") with
                {
                    Arm = [new TimerArm(TimerKinds.SmsRecheck, recheckAt)],
                };
            default:
                SmsSent = false;
                return ItemChange.Record(TimelineKinds.SmsResult, $"SMS {status}: {string.Join(", ", reasons)}.") with { Cancel = [TimerKinds.SmsRecheck] };
        }
    }

    /// <summary>Twilio's delivery report of the loop's SMS, on the timeline.</summary>
    public static ItemChange SmsDelivery(string status, int? errorCode) =>
        ItemChange.Note(TimelineKinds.SmsDelivery, errorCode is { } code ? string.Create(CultureInfo.InvariantCulture, $"SMS {status} (Twilio error {code}).") : $"SMS {status}.");

    /// <summary>A bridged callback was recorded for the manager's review.</summary>
    public static ItemChange CallRecorded(int seconds) =>
        ItemChange.Note(TimelineKinds.Recorded, string.Create(CultureInfo.InvariantCulture, $"The call was recorded ({seconds} s) for review."));

    // ---- What the customer does ----------------------------------------------------------------------------------

    /// <summary>
    /// The customer texted back: the item waits on them (attempt 2 is skipped) and the owner is told. A reply older
    /// than the last one seen changes nothing (reports arrive in any order).
    /// </summary>
    public ItemChange CustomerReplied(string body, string messageSid, DateTime occurredAt)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!IsOpen || CustomerRepliedAt >= occurredAt)
        {
            return ItemChange.None;
        }

        CustomerRepliedAt = occurredAt;
        Status = ItemStatuses.WaitingOnCustomer;
        return ItemChange.Record(TimelineKinds.CustomerReplied, body.Length > MaxReplyShown ? body[..MaxReplyShown] : body) with
        {
            Alert = new StaffAlertRequest("customer-replied:" + messageSid, PrimaryOwnerId, "A customer replied to your callback text."),
        };
    }

    /// <summary>The customer texted STOP: the loop ends now (outcome <c>opted-out</c>; the consent service records the opt-out itself).</summary>
    public ItemChange OptedOut(DateTime occurredAt, DateTime at)
    {
        if (!IsOpen || CustomerRepliedAt >= occurredAt)
        {
            return ItemChange.None;
        }

        Close(Outcomes.OptedOut, null, "The customer texted STOP.", null, null, at);
        return ItemChange.Record(TimelineKinds.OptedOut, "The customer texted STOP: the loop ends now.");
    }

    // ---- What the clock does ---------------------------------------------------------------------------------------

    /// <summary>The shop opened: an after-hours item is on the clock (its due times were set when it came in).</summary>
    public ItemChange StartClock() =>
        IsOpen ? ItemChange.Note(TimelineKinds.ClockStarted, "The shop opened: this after-hours item is now on the clock.") : ItemChange.None;

    /// <summary>
    /// The first-attempt target passed with nobody claiming or calling: the backup (the item's, else today's) takes
    /// it and the primary stays on it as the second named person; the new primary is told. A parked item, or one
    /// waiting on the customer, has a person and a next step already.
    /// </summary>
    public ItemChange TriggerBackup(Duty today, DateTime at)
    {
        ArgumentNullException.ThrowIfNull(today);
        if (!IsOpen || ClaimedAt is not null || Attempts > 0 || Status is ItemStatuses.Limbo or ItemStatuses.WaitingOnCustomer)
        {
            return ItemChange.None;
        }

        var backup = BackupOwnerId ?? today.BackupUserId;
        if (backup is not null && backup != PrimaryOwnerId)
        {
            (PrimaryOwnerId, BackupOwnerId) = (backup, PrimaryOwnerId);
        }

        BackupTriggeredAt = at;
        return ItemChange.Record(TimelineKinds.BackupTriggered, "Nobody claimed or called within the first-attempt target: the backup owner takes it.") with
        {
            Alert = new StaffAlertRequest(TimelineKinds.BackupTriggered, PrimaryOwnerId, $"Callback waiting: nobody has called back a {Type} yet. It is yours now."),
        };
    }

    /// <summary>
    /// The SLA passed with no attempt: the item is escalated to today's manager. An item a manager escalated by hand
    /// is escalated already (its time and alert stand); a parked one or one waiting on the customer is not overdue.
    /// </summary>
    public ItemChange EscalateOverdue(Duty today, DateTime at)
    {
        ArgumentNullException.ThrowIfNull(today);
        if (!IsOpen || Attempts > 0 || Status is ItemStatuses.WaitingOnCustomer or ItemStatuses.Limbo or ItemStatuses.Escalated)
        {
            return ItemChange.None;
        }

        Status = ItemStatuses.Escalated;
        EscalatedAt = at;
        return ItemChange.Record(TimelineKinds.Escalated, "No attempt within the SLA: escalated to the manager.") with
        {
            Alert = new StaffAlertRequest(TimelineKinds.Escalated, today.ManagerUserId, $"Escalated: a {Type} has had no callback attempt within the SLA."),
        };
    }

    /// <summary>A parked item's next-check time came: back in the queue, and its owner is told (once per parking).</summary>
    public ItemChange ReturnFromLimbo()
    {
        if (!IsOpen || Status != ItemStatuses.Limbo)
        {
            return ItemChange.None;
        }

        Status = ItemStatuses.NeedsCallback;
        NextCheckAt = null;
        // Note: the alert's key names the version this change saves (the writer adds one), so a second parking alerts again.
        return ItemChange.Record(TimelineKinds.LimboCheck, "Next-check time reached: back in the queue.") with
        {
            Alert = new StaffAlertRequest("limbo-check:" + (Version + 1).ToString(CultureInfo.InvariantCulture), PrimaryOwnerId,
                "A callback you parked is due for another look."),
        };
    }

    /// <summary>The shop closed with the item open: it needs completion, reassignment, escalation or a limbo next-check.</summary>
    public ItemChange FlagEndOfDay(DateTime at)
    {
        if (!IsOpen || Status == ItemStatuses.Limbo)
        {
            return ItemChange.None;
        }

        EodFlaggedAt = at;
        return PrimaryOwnerId is null
            ? ItemChange.Record(TimelineKinds.EndOfDayUnassigned, "Open at close with no owner: needs reassignment.")
            : ItemChange.Record(TimelineKinds.EndOfDay, "Open at close: needs completion, reassignment, escalation or a limbo next-check.");
    }

    // ---- The store's part -------------------------------------------------------------------------------------------

    /// <summary>The store writes the row at <paramref name="at"/> (<see cref="RecoveryItemStore.SaveAsync"/>).</summary>
    internal void Saving(DateTime at) => UpdatedAt = at;

    /// <summary>The store wrote the row: its version moved on by one.</summary>
    internal void Saved() => Version++;

    private void Close(string outcome, string? reason, string? note, DateTime? rescheduleAt, Guid? by, DateTime at)
    {
        Status = ItemStatuses.Completed;
        Outcome = outcome;
        Reason = reason;
        Note = note;
        RescheduleAt = rescheduleAt;
        DisposedBy = by;
        DisposedAt = at;
        NextCheckAt = null;
    }
}
