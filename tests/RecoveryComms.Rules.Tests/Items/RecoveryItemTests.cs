using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Owners;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Rules.Tests.Items;

/// <summary>
/// The recovery loop's rules, one transition of <see cref="RecoveryItem"/> at a time: every transition from every
/// status (what it refuses, what it changes, what it leaves alone), then the details of each. No database: the
/// same rules are proven end to end, through PostgreSQL and RabbitMQ, by the orchestrator's specifications.
/// </summary>
public sealed class RecoveryItemTests
{
    private static readonly Guid Primary = Guid.Parse("00000000-0000-0000-0000-0000000000a1");
    private static readonly Guid Backup = Guid.Parse("00000000-0000-0000-0000-0000000000b2");
    private static readonly Guid Other = Guid.Parse("00000000-0000-0000-0000-0000000000c3");
    private static readonly Guid Manager = Guid.Parse("00000000-0000-0000-0000-0000000000d4");
    private static readonly DateTime T0 = new(2026, 3, 2, 15, 0, 0, DateTimeKind.Utc);
    private static readonly Duty Today = new(Primary, Backup, Manager);

    private const string NC = ItemStatuses.NeedsCallback;
    private const string IP = ItemStatuses.InProgress;
    private const string LM = ItemStatuses.LeftMessage;
    private const string WC = ItemStatuses.WaitingOnCustomer;
    private const string ES = ItemStatuses.Escalated;
    private const string LI = ItemStatuses.Limbo;
    private const string CO = ItemStatuses.Completed;

    private static readonly string[] Statuses = [NC, IP, LM, WC, ES, LI, CO];

    /// <summary>A missed call at <see cref="T0"/> in business hours, owned by today's primary and backup.</summary>
    private static RecoveryItem NewCall(Duty? duty = null, string? phone = "+15551234567", string kind = "missed") =>
        RecoveryItem.FromCall(Guid.CreateVersion7(), new CapturedCall("CA1", kind, phone ?? "anonymous", phone is null, "+15550000001", false, T0),
            phone, new ContactInfo("contact-1", null, null), new LoopTimes(T0, T0.AddMinutes(5), T0.AddMinutes(15), false), duty ?? Today, T0);

    /// <summary>An item brought to <paramref name="status"/> the way the loop brings one there.</summary>
    private static RecoveryItem In(string status)
    {
        var item = NewCall();
        var change = status switch
        {
            NC => ItemChange.None,
            IP => item.Claim(Primary, "Pat", T0),
            LM => Then(item.Claim(Primary, "Pat", T0), item.AttemptPlaced(Primary, "Pat", T0, T0.AddMinutes(1)), item.LeaveVoicemail(Primary, "Pat")),
            WC => item.CustomerReplied("Call me after 5", "SM1", T0),
            ES => item.Escalate("Morgan", T0),
            LI => Then(item.Claim(Primary, "Pat", T0), item.Park(T0.AddHours(2), null, Primary, false, T0)),
            CO => item.Dispose(Outcomes.BookedJob, null, null, null, Manager, true, T0),
            _ => throw new ArgumentOutOfRangeException(nameof(status)),
        };
        Assert.False(change.IsRefused);
        Assert.Equal(status, item.Status);
        return item;
    }

    private static ItemChange Then(params ItemChange[] changes) => changes.FirstOrDefault(c => c.IsRefused) ?? changes[^1];

    /// <summary>What a transition does from a status: <c>→status</c> (applied), <c>refused:type</c>, or <c>none</c>.</summary>
    private static readonly Dictionary<string, (Func<RecoveryItem, ItemChange> Act, string[] Expected)> Table = new()
    {
        ["claim by the primary"] = (i => i.Claim(Primary, "Pat", T0.AddMinutes(1)), ["→" + IP, "→" + IP, "→" + LM, "→" + WC, "→" + IP, "→" + LI, "refused:item-completed"]),
        ["claim by another CSR"] = (i => i.Claim(Other, "Oli", T0.AddMinutes(1)),
            ["→" + IP, "refused:claimed-by-other", "refused:claimed-by-other", "→" + WC, "→" + IP, "refused:claimed-by-other", "refused:item-completed"]),
        ["reassign"] = (i => i.Reassign(Other, Backup, "Morgan", T0.AddMinutes(1)), ["→" + NC, "→" + IP, "→" + LM, "→" + WC, "→" + NC, "→" + NC, "refused:item-completed"]),
        ["escalate by hand"] = (i => i.Escalate("Morgan", T0.AddMinutes(1)), ["→" + ES, "→" + ES, "→" + ES, "→" + ES, "refused:already-escalated", "→" + ES, "refused:item-completed"]),
        ["park"] = (i => i.Park(T0.AddHours(3), "waiting on parts", Primary, false, T0.AddMinutes(1)), ["→" + LI, "→" + LI, "→" + LI, "→" + LI, "→" + LI, "→" + LI, "refused:item-completed"]),
        ["leave a voicemail"] = (i => i.LeaveVoicemail(Primary, "Pat"),
            ["refused:no-attempt", "refused:no-attempt", "refused:voicemail-already-left", "refused:no-attempt", "refused:no-attempt", "refused:no-attempt", "refused:item-completed"]),
        ["place an attempt"] = (i => i.AttemptPlaced(Primary, "Pat", T0.AddMinutes(1), T0.AddMinutes(3)), ["→" + IP, "→" + IP, "→" + IP, "→" + WC, "→" + IP, "→" + IP, "refused:item-completed"]),
        ["request the SMS"] = (i => i.SmsRequested("Sorry we missed you", Primary, true, T0.AddMinutes(2)), ["→" + NC, "→" + IP, "→" + LM, "→" + WC, "→" + ES, "→" + LI, "refused:item-completed"]),
        ["SMS sent"] = (i => i.SmsSettled("sent", [], T0.AddMinutes(2)), ["→" + LM, "→" + LM, "→" + LM, "→" + WC, "→" + ES, "→" + LI, "→" + CO]),
        ["customer replies"] = (i => i.CustomerReplied("Yes please", "SM2", T0.AddMinutes(1)), ["→" + WC, "→" + WC, "→" + WC, "→" + WC, "→" + WC, "→" + WC, "none"]),
        ["customer texts STOP"] = (i => i.OptedOut(T0.AddMinutes(1), T0.AddMinutes(1)), ["→" + CO, "→" + CO, "→" + CO, "→" + CO, "→" + CO, "→" + CO, "none"]),
        ["dispose as booked"] = (i => i.Dispose(Outcomes.BookedJob, null, null, null, Primary, false, T0.AddMinutes(1)),
            ["→" + CO, "→" + CO, "→" + CO, "→" + CO, "→" + CO, "→" + CO, "refused:item-completed"]),
        ["clock starts"] = (i => i.StartClock(), ["→" + NC, "→" + IP, "→" + LM, "→" + WC, "→" + ES, "→" + LI, "none"]),
        ["first-attempt target passes"] = (i => i.TriggerBackup(Today, T0.AddMinutes(5)), ["→" + NC, "none", "none", "none", "→" + ES, "none", "none"]),
        ["SLA passes"] = (i => i.EscalateOverdue(Today, T0.AddMinutes(15)), ["→" + ES, "→" + ES, "none", "none", "none", "none", "none"]),
        ["next-check time comes"] = (i => i.ReturnFromLimbo(), ["none", "none", "none", "none", "none", "→" + NC, "none"]),
        ["the shop closes"] = (i => i.FlagEndOfDay(T0.AddHours(3)), ["→" + NC, "→" + IP, "→" + LM, "→" + WC, "→" + ES, "none", "none"]),
        ["an emergency phrase matches"] = (i => i.MarkEmergency(new EmergencyMatch("burst pipe", EmergencySources.Transcript),
            new LoopTimes(T0.AddMinutes(1), T0.AddMinutes(3), T0.AddMinutes(6), false)), ["→" + NC, "→" + IP, "→" + LM, "→" + WC, "→" + ES, "→" + LI, "none"]),
    };

    public static TheoryData<string, string, string> EveryTransitionFromEveryStatus()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (name, row) in Table)
        {
            for (var s = 0; s < Statuses.Length; s++)
            {
                data.Add(name, Statuses[s], row.Expected[s]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryTransitionFromEveryStatus))]
    public void Every_transition_from_every_status_is_applied_refused_or_left_alone(string transition, string from, string expected)
    {
        var item = In(from);
        var before = (item.Status, item.PrimaryOwnerId, item.BackupOwnerId, item.Attempts, item.SmsSent, item.Version);
        var change = Table[transition].Act(item);

        var actual = change.Refusal is { } refusal ? "refused:" + refusal.Type : change.Changed ? "→" + item.Status : "none";
        Assert.Equal(expected, actual);
        if (change.IsRefused || !change.Changed)
        {
            // A refusal or a transition that does not apply leaves the item exactly as it was.
            Assert.Equal(before, (item.Status, item.PrimaryOwnerId, item.BackupOwnerId, item.Attempts, item.SmsSent, item.Version));
            Assert.Empty(change.Arm);
            Assert.Null(change.Alert);
        }
    }

    [Fact]
    public void The_table_covers_every_status_for_every_transition() =>
        Assert.All(Table.Values, row => Assert.Equal(Statuses.Length, row.Expected.Length));

    // ---- Opening -------------------------------------------------------------------------------------------------

    [Fact]
    public void A_missed_call_needs_a_callback_from_the_days_two_owners_on_its_own_clock()
    {
        var item = NewCall();

        Assert.Equal((NC, ItemTypes.MissedCall, Primary, Backup), (item.Status, item.Type, item.PrimaryOwnerId, item.BackupOwnerId));
        Assert.Equal((T0.AddMinutes(5), T0.AddMinutes(15), T0), (item.FirstAttemptDueAt, item.SlaDueAt, item.SortAt));
        Assert.Equal((1, 0, false, 1), (item.Occurrences, item.Attempts, item.SmsSent, item.Version));
        Assert.Equal("missed-call captured.", item.CreatedDetail);
    }

    [Fact]
    public void A_withheld_caller_counts_the_miss_and_cannot_be_called_back()
    {
        var item = NewCall(phone: null);

        Assert.True(item.CannotCallBack);
        Assert.Equal("missed-call from a withheld number: cannot call back.", item.CreatedDetail);
        Assert.Equal("cannot-call-back", item.SmsRequested("hi", Primary, true, T0).Refusal?.Type);
        Assert.Equal("cannot-call-back", item.Dispose(Outcomes.DoNotContact, null, null, null, Primary, false, T0).Refusal?.Type);
    }

    [Theory]
    [InlineData("missed", ItemTypes.MissedCall)]
    [InlineData("abandoned", ItemTypes.Abandoned)]
    [InlineData("voicemail", ItemTypes.Voicemail)]
    [InlineData("transcription", ItemTypes.Voicemail)]
    public void A_call_item_is_typed_by_what_capture_reported(string kind, string type) => Assert.Equal(type, NewCall(kind: kind).Type);

    [Fact]
    public void A_new_item_arms_its_backup_trigger_and_SLA_and_an_after_hours_one_its_clock_start_too()
    {
        var item = NewCall();
        Assert.Equal(new[] { new TimerArm(TimerKinds.FirstAttemptDue, T0.AddMinutes(5)), new TimerArm(TimerKinds.SlaDue, T0.AddMinutes(15)) }, item.LoopTimers(T0));

        var opening = T0.AddHours(15);
        var afterHours = RecoveryItem.FromCall(Guid.CreateVersion7(), new CapturedCall("CA2", "missed", "+15551234567", false, "+15550000001", true, T0),
            "+15551234567", new ContactInfo("contact-2", null, null), new LoopTimes(opening, opening.AddMinutes(30), opening.AddMinutes(40), true), Today, T0);
        Assert.Equal(TimerKinds.ClockStart, afterHours.LoopTimers(T0)[0].Kind);
        Assert.Equal(opening, afterHours.LoopTimers(T0)[0].At);
        Assert.True(afterHours.AfterHours);
    }

    [Fact]
    public void A_promised_update_is_due_at_its_promised_time_and_lines_up_by_it()
    {
        var promised = T0.AddHours(4);
        var item = RecoveryItem.FromCallback(Guid.CreateVersion7(), new CallbackOpening(ItemTypes.PromisedUpdate, "+15551234567", null, promised, null, null, null, "parts ETA"),
            new ContactInfo("contact-1", null, "Acme"), new LoopTimes(T0, promised.AddMinutes(-30), promised, false), Today, T0);

        Assert.Equal((promised, promised, (short)2), (item.DueAt!.Value, item.SortAt, item.Priority));
        Assert.Equal(("parts ETA", "Acme"), (item.Details, item.AccountName));
    }

    [Fact]
    public void An_emergency_callback_goes_to_the_top_of_the_queue_in_the_order_it_came()
    {
        var item = RecoveryItem.FromCallback(Guid.CreateVersion7(), new CallbackOpening(ItemTypes.Emergency, "+15551234567", null, null, null, null, null, null),
            new ContactInfo("contact-1", null, null), new LoopTimes(T0, T0.AddMinutes(5), T0.AddMinutes(15), false), Today, T0);

        Assert.Equal(((short)0, T0, T0.AddMinutes(15)), (item.Priority, item.SortAt, item.DueAt!.Value));
    }

    // ---- Merging calls ---------------------------------------------------------------------------------------------

    [Fact]
    public void A_second_call_counts_as_an_occurrence_and_keeps_the_items_place()
    {
        var item = NewCall(kind: "abandoned");
        var change = item.MergeCall(new CapturedCall("CA9", "missed", "+15551234567", false, "+15550000001", false, T0.AddMinutes(3)), newCall: true,
            new ContactInfo("contact-1", Guid.NewGuid(), "Acme"));

        Assert.Equal((TimelineKinds.Merged, "Called again (missed); 2 calls in this recovery."), (change.Kind, change.Detail));
        Assert.Equal((2, ItemTypes.MissedCall, T0, "Acme"), (item.Occurrences, item.Type, item.SortAt, item.AccountName));
    }

    [Fact]
    public void A_voicemail_on_the_same_call_makes_it_a_voicemail_item_and_its_transcript_is_kept()
    {
        var item = NewCall();
        var voicemail = item.MergeCall(new CapturedCall("CA1", "voicemail", "+15551234567", false, "+15550000001", false, T0, RecordingSid: "RE1", RecordingUrl: "https://r"),
            newCall: false, new ContactInfo("contact-1", null, null));
        var transcribed = item.MergeCall(new CapturedCall("CA1", "transcription", "+15551234567", false, "+15550000001", false, T0, Transcript: "water everywhere"),
            newCall: false, new ContactInfo("contact-1", null, null));

        Assert.Equal((TimelineKinds.Merged, "Left a voicemail on the same call."), (voicemail.Kind, voicemail.Detail));
        Assert.Equal((TimelineKinds.Transcribed, "Voicemail transcribed."), (transcribed.Kind, transcribed.Detail));
        Assert.Equal((1, ItemTypes.Voicemail, "RE1", "water everywhere"), (item.Occurrences, item.Type, item.RecordingSid, item.Transcript));
    }

    [Fact]
    public void A_short_abandon_stays_short_only_while_every_call_was()
    {
        var item = RecoveryItem.FromCall(Guid.CreateVersion7(), new CapturedCall("CA1", "abandoned", "+15551234567", false, "+15550000001", false, T0, ShortAbandon: true),
            "+15551234567", new ContactInfo("contact-1", null, null), new LoopTimes(T0, T0.AddMinutes(5), T0.AddMinutes(15), false), Today, T0);
        item.MergeCall(new CapturedCall("CA2", "abandoned", "+15551234567", false, "+15550000001", false, T0, ShortAbandon: false), newCall: true, new ContactInfo("contact-1", null, null));

        Assert.False(item.ShortAbandon);
    }

    // ---- Claims and owners -------------------------------------------------------------------------------------------

    [Fact]
    public void The_backup_who_claims_swaps_places_with_the_primary()
    {
        var item = NewCall();
        var change = item.Claim(Backup, "Bea", T0);

        Assert.Equal((Backup, Primary, IP), (item.PrimaryOwnerId, item.BackupOwnerId, item.Status));
        Assert.Equal($"Bea claimed it (was {Primary}).", change.Detail);
    }

    [Fact]
    public void A_claim_of_an_item_without_a_backup_keeps_the_previous_primary_as_backup()
    {
        var item = NewCall(new Duty(Primary, null, null));
        item.Claim(Other, "Oli", T0);

        Assert.Equal((Other, Primary), (item.PrimaryOwnerId, item.BackupOwnerId));
    }

    [Fact]
    public void A_claim_of_an_unassigned_item_says_so_and_leaves_no_backup()
    {
        var item = NewCall(new Duty(null, null, null));
        var change = item.Claim(Other, "Oli", T0);

        Assert.Equal("Oli claimed it (was unassigned).", change.Detail);
        Assert.Equal((Other, (Guid?)null), (item.PrimaryOwnerId, item.BackupOwnerId));
    }

    [Fact]
    public void Reassigning_names_both_owners_and_clears_the_end_of_day_flag()
    {
        var item = NewCall();
        item.FlagEndOfDay(T0);
        item.Reassign(Other, Backup, "Morgan", T0.AddMinutes(1));

        Assert.Equal((Other, Backup, T0.AddMinutes(1), (DateTime?)null), (item.PrimaryOwnerId, item.BackupOwnerId, item.ClaimedAt, item.EodFlaggedAt));
    }

    // ---- Limbo -------------------------------------------------------------------------------------------------------------

    [Fact]
    public void Parking_arms_the_next_check_and_shows_the_note()
    {
        var item = In(IP);
        var change = item.Park(new DateTimeOffset(T0.AddHours(2)), "waiting on\r\nparts ", Primary, false, T0);

        Assert.Equal(new[] { new TimerArm(TimerKinds.LimboCheck, T0.AddHours(2)) }, change.Arm);
        Assert.Equal("Parked until 2026-03-02 17:00:00Z: waiting on\nparts.", change.Detail);
    }

    [Theory]
    [InlineData(0, "validation")]
    [InlineData(-60, "validation")]
    public void Parking_needs_a_time_in_the_future(int minutes, string refusal) =>
        Assert.Equal(refusal, In(IP).Park(new DateTimeOffset(T0.AddMinutes(minutes)), null, Primary, false, T0).Refusal?.Type);

    [Fact]
    public void Only_the_owner_or_a_manager_parks_and_a_parked_item_keeps_an_owner()
    {
        Assert.Equal("not-owner", In(IP).Park(T0.AddHours(1), null, Other, false, T0).Refusal?.Type);
        Assert.False(In(IP).Park(T0.AddHours(1), null, Manager, true, T0).IsRefused);
        Assert.Equal("no-owner", NewCall(new Duty(null, null, null)).Park(T0.AddHours(1), null, Manager, true, T0).Refusal?.Type);
        Assert.Equal("validation", In(IP).Park(null, null, Primary, false, T0).Refusal?.Type);
    }

    [Fact]
    public void Back_from_limbo_the_owner_is_told_once_per_parking()
    {
        var item = In(LI);
        var change = item.ReturnFromLimbo();

        Assert.Equal((NC, (DateTime?)null), (item.Status, item.NextCheckAt));
        Assert.Equal(new StaffAlertRequest("limbo-check:" + (item.Version + 1), Primary, "A callback you parked is due for another look."), change.Alert);
    }

    // ---- Attempts, voicemail and the one SMS --------------------------------------------------------------------------------

    [Fact]
    public void Two_attempts_per_loop_then_a_disposition()
    {
        var item = In(IP);
        var first = item.AttemptPlaced(Primary, "Pat", T0, T0.AddSeconds(90));
        item.AttemptPlaced(Primary, "Pat", T0.AddMinutes(10), T0.AddMinutes(11));
        var third = item.AttemptPlaced(Primary, "Pat", T0.AddMinutes(20), T0.AddMinutes(21));

        Assert.Equal("Attempt 1: ringing Pat's phone, then the customer from the shop line.", first.Detail);
        Assert.Equal(new[] { new TimerArm(TimerKinds.AttemptCheck, T0.AddSeconds(90)) }, first.Arm);
        Assert.Equal((2, T0), (item.Attempts, item.FirstAttemptAt!.Value));
        Assert.Equal("attempts-exhausted", third.Refusal?.Type);
        Assert.Equal("not-owner", In(IP).AttemptPlaced(Other, "Oli", T0, T0).Refusal?.Type);
    }

    [Fact]
    public void An_attempt_that_never_dialled_gives_its_place_back_and_re_arms_the_SLA()
    {
        var item = NewCall();
        item.AttemptPlaced(Primary, "Pat", T0, T0.AddMinutes(2));
        var change = item.AttemptNotCounted(0, null, "Your phone did not answer.");

        Assert.Equal((0, (DateTime?)null, NC), (item.Attempts, item.FirstAttemptAt, item.Status));
        Assert.Equal(new[] { new TimerArm(TimerKinds.SlaDue, T0.AddMinutes(15)) }, change.Arm);
    }

    [Fact]
    public void A_claimed_item_whose_attempt_did_not_count_stays_in_progress_and_one_still_counting_arms_nothing()
    {
        var claimed = In(IP);
        claimed.AttemptPlaced(Primary, "Pat", T0, T0);
        claimed.AttemptNotCounted(0, null, "x");
        Assert.Equal(IP, claimed.Status);

        var twice = In(IP);
        twice.AttemptPlaced(Primary, "Pat", T0, T0);
        twice.AttemptPlaced(Primary, "Pat", T0.AddMinutes(1), T0);
        Assert.Empty(twice.AttemptNotCounted(1, T0, "x").Arm);
        Assert.Equal(1, twice.Attempts);
    }

    [Theory]
    [InlineData("no-answer", 1, false, true)]
    [InlineData("busy", 1, false, true)]
    [InlineData("answered", 1, false, false)]
    [InlineData("no-answer", 2, false, false)]
    [InlineData("no-answer", 1, true, false)]
    public void The_automatic_SMS_follows_only_an_unanswered_first_attempt_with_the_slot_free(string result, int attempts, bool smsSent, bool wanted)
    {
        var item = In(IP);
        for (var i = 0; i < attempts; i++)
        {
            item.AttemptPlaced(Primary, "Pat", T0, T0);
        }

        if (smsSent)
        {
            item.SmsRequested("hi", Primary, true, T0);
        }

        Assert.Equal(wanted, item.WantsAutomaticSms(result));
    }

    [Fact]
    public void One_SMS_per_loop_the_slot_taken_at_the_request_and_given_back_when_refused()
    {
        var item = In(IP);
        var requested = item.SmsRequested("Sorry we missed you", Primary, true, T0.AddMinutes(2));
        Assert.Equal(new[] { new TimerArm(TimerKinds.SmsRecheck, T0.AddMinutes(2)) }, requested.Arm);
        Assert.Equal("sms-already-sent", item.SmsRequested("again", Primary, true, T0).Refusal?.Type);

        var refused = item.SmsSettled("refused", ["quiet-hours"], T0);
        Assert.Equal(("SMS refused: quiet-hours.", false), (refused.Detail, item.SmsSent));
        Assert.Equal(new[] { TimerKinds.SmsRecheck }, refused.Cancel);
        Assert.False(item.SmsRequested("later", Primary, true, T0).IsRefused);
    }

    [Fact]
    public void An_SMS_whose_outcome_is_unknown_is_never_resent_and_asked_again()
    {
        var item = In(IP);
        item.SmsRequested("hi", Primary, true, T0);
        var unknown = item.SmsSettled("unknown", [], T0.AddMinutes(2));

        Assert.True(item.SmsSent);
        Assert.Equal(new[] { new TimerArm(TimerKinds.SmsRecheck, T0.AddMinutes(2)) }, unknown.Arm);
        Assert.Equal("sms-already-sent", item.SmsRequested("hi", Primary, true, T0).Refusal?.Type);
    }

    [Fact]
    public void Only_the_owner_sends_the_SMS_unless_the_shop_sends_it_automatically()
    {
        Assert.Equal("not-owner", In(IP).SmsRequested("hi", Other, requireOwner: true, T0).Refusal?.Type);
        Assert.False(In(IP).SmsRequested("hi", null, requireOwner: false, T0).IsRefused);
    }

    [Fact]
    public void One_voicemail_per_loop_left_on_an_attempt()
    {
        var item = In(IP);
        item.AttemptPlaced(Primary, "Pat", T0, T0);
        var left = item.LeaveVoicemail(Primary, "Pat");

        Assert.Equal(("Pat left a voicemail.", LM), (left.Detail, item.Status));
        Assert.Equal("not-owner", In(IP).LeaveVoicemail(Other, "Oli").Refusal?.Type);
    }

    // ---- The customer -------------------------------------------------------------------------------------------------

    [Fact]
    public void A_reply_tells_the_owner_and_an_older_reply_changes_nothing()
    {
        var item = In(IP);
        var reply = item.CustomerReplied(new string('x', 400), "SM7", T0.AddMinutes(5));

        Assert.Equal(RecoveryItem.MaxReplyShown, reply.Detail.Length);
        Assert.Equal(new StaffAlertRequest("customer-replied:SM7", Primary, "A customer replied to your callback text."), reply.Alert);
        Assert.False(item.CustomerReplied("older", "SM6", T0.AddMinutes(4)).Changed);
        Assert.False(item.OptedOut(T0.AddMinutes(4), T0.AddMinutes(6)).Changed);
    }

    [Fact]
    public void STOP_ends_the_loop_with_outcome_opted_out()
    {
        var item = In(IP);
        var change = item.OptedOut(T0.AddMinutes(1), T0.AddMinutes(2));

        Assert.Equal((CO, Outcomes.OptedOut, "The customer texted STOP.", (Guid?)null), (item.Status, item.Outcome, item.Note, item.DisposedBy));
        Assert.Equal((TimelineKinds.OptedOut, false), (change.Kind, change.FlagsContact));
    }

    // ---- Dispositions -------------------------------------------------------------------------------------------------

    [Fact]
    public void A_disposition_records_its_outcome_and_flags_a_do_not_contact_number()
    {
        var item = In(IP);
        var change = item.Dispose(Outcomes.DoNotContact, "asked-not-to", "rude", null, Primary, false, T0.AddMinutes(3));

        Assert.Equal(("do-not-contact / asked-not-to: rude", true), (change.Detail, change.FlagsContact));
        Assert.Equal((CO, Primary, T0.AddMinutes(3)), (item.Status, item.DisposedBy, item.DisposedAt!.Value));
    }

    [Fact]
    public void Only_the_owner_or_a_manager_records_a_disposition()
    {
        Assert.Equal("not-owner", In(IP).Dispose(Outcomes.BookedJob, null, null, null, Other, false, T0).Refusal?.Type);
        Assert.False(In(IP).Dispose(Outcomes.BookedJob, null, null, null, Manager, true, T0).IsRefused);
    }

    [Theory]
    [InlineData(Outcomes.NoAnswerTwoAttempts, 0, "outcome-does-not-fit")]
    [InlineData(Outcomes.NoAnswerTwoAttempts, 1, "outcome-does-not-fit")]
    [InlineData(Outcomes.NoAnswerTwoAttempts, 2, null)]
    [InlineData(Outcomes.LeftVoicemail, 0, "outcome-does-not-fit")]
    [InlineData(Outcomes.LeftVoicemail, 1, null)]
    [InlineData(Outcomes.BookedJob, 0, null)]
    [InlineData(Outcomes.WrongNumber, 0, null)]
    public void A_disposition_must_fit_what_happened_in_the_loop(string outcome, int attempts, string? refusal)
    {
        var item = In(IP);
        for (var i = 0; i < attempts; i++)
        {
            item.AttemptPlaced(Primary, "Pat", T0, T0);
        }

        var change = item.Dispose(outcome, null, null, null, Primary, false, T0);
        Assert.Equal(refusal, change.Refusal?.Type);
        Assert.Equal(refusal is null ? CO : IP, item.Status);
    }

    // ---- Timers -------------------------------------------------------------------------------------------------------

    [Fact]
    public void At_the_first_attempt_target_the_backup_takes_the_item_and_is_told()
    {
        var item = NewCall();
        var change = item.TriggerBackup(Today, T0.AddMinutes(5));

        Assert.Equal((Backup, Primary, T0.AddMinutes(5)), (item.PrimaryOwnerId, item.BackupOwnerId, item.BackupTriggeredAt!.Value));
        Assert.Equal(new StaffAlertRequest(TimelineKinds.BackupTriggered, Backup, "Callback waiting: nobody has called back a missed-call yet. It is yours now."), change.Alert);
    }

    [Fact]
    public void Without_a_backup_on_the_item_todays_backup_takes_it()
    {
        var item = NewCall(new Duty(Primary, null, null));
        item.TriggerBackup(new Duty(Primary, Other, Manager), T0.AddMinutes(5));

        Assert.Equal((Other, Primary), (item.PrimaryOwnerId, item.BackupOwnerId));
    }

    [Fact]
    public void With_nobody_to_hand_it_to_the_backup_trigger_still_fires_and_tells_the_primary()
    {
        var item = NewCall(new Duty(Primary, null, null));
        var change = item.TriggerBackup(new Duty(null, null, null), T0.AddMinutes(5));

        Assert.Equal((Primary, (Guid?)null), (item.PrimaryOwnerId, item.BackupOwnerId));
        Assert.Equal(Primary, change.Alert?.UserId);
    }

    [Fact]
    public void An_attempt_before_the_targets_stops_the_backup_trigger_and_the_escalation()
    {
        var item = NewCall();
        item.AttemptPlaced(Primary, "Pat", T0.AddMinutes(1), T0.AddMinutes(2));

        Assert.False(item.TriggerBackup(Today, T0.AddMinutes(5)).Changed);
        Assert.False(item.EscalateOverdue(Today, T0.AddMinutes(15)).Changed);
    }

    [Fact]
    public void At_the_SLA_todays_manager_is_told()
    {
        var item = NewCall();
        var change = item.EscalateOverdue(Today, T0.AddMinutes(15));

        Assert.Equal((ES, T0.AddMinutes(15)), (item.Status, item.EscalatedAt!.Value));
        Assert.Equal(new StaffAlertRequest(TimelineKinds.Escalated, Manager, "Escalated: a missed-call has had no callback attempt within the SLA."), change.Alert);
    }

    [Fact]
    public void At_close_an_item_without_an_owner_is_flagged_for_reassignment()
    {
        var change = NewCall(new Duty(null, null, null)).FlagEndOfDay(T0);
        Assert.Equal(TimelineKinds.EndOfDayUnassigned, change.Kind);
        Assert.Equal(TimelineKinds.EndOfDay, NewCall().FlagEndOfDay(T0).Kind);
    }

    [Fact]
    public void The_clock_start_is_a_note_that_changes_no_field()
    {
        var change = NewCall().StartClock();
        Assert.True(change.NoteOnly);
        Assert.Equal(TimelineKinds.ClockStarted, change.Kind);
    }

    [Fact]
    public void Delivery_reports_and_recordings_are_notes()
    {
        Assert.Equal(("SMS undelivered (Twilio error 30003).", true), (RecoveryItem.SmsDelivery("undelivered", 30003).Detail, RecoveryItem.SmsDelivery("undelivered", 30003).NoteOnly));
        Assert.Equal("SMS delivered.", RecoveryItem.SmsDelivery("delivered", null).Detail);
        Assert.Equal("The call was recorded (42 s) for review.", RecoveryItem.CallRecorded(42).Detail);
    }
    // ---- What the API and the timeline say ------------------------------------------------------------------------------

    public static TheoryData<string, string, int, string, string, string?> Refusals() => new()
    {
        { "claim by the primary", CO, 409, "item-completed", "The item is completed.", null },
        { "claim by another CSR", IP, 409, "claimed-by-other", "Another CSR already claimed this item; a manager can reassign it.", null },
        { "reassign", CO, 409, "item-completed", "The item is completed.", null },
        { "escalate by hand", CO, 409, "item-completed", "The item is completed.", null },
        { "escalate by hand", ES, 409, "already-escalated", "The item is escalated already.", null },
        { "park", CO, 409, "item-completed", "The item is completed.", null },
        { "leave a voicemail", CO, 409, "item-completed", "The item is completed.", null },
        { "leave a voicemail", NC, 409, "no-attempt", "Call the customer first: a voicemail is left on an attempt.", null },
        { "leave a voicemail", LM, 409, "voicemail-already-left", "A voicemail was already left in this loop; do not leave a second one.", "Send the loop's SMS or make the second attempt without a message." },
        { "place an attempt", CO, 409, "item-completed", "The item is completed.", null },
        { "request the SMS", CO, 409, "item-completed", "The item is completed.", null },
        { "dispose as booked", CO, 409, "item-completed", "The item already has a disposition.", null },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_refusal_says_why_in_words(string transition, string from, int status, string type, string title, string? detail) =>
        Assert.Equal(new Refusal(status, type, title, detail), Table[transition].Act(In(from)).Refusal);

    [Fact]
    public void Refusals_by_owner_and_by_what_happened_say_why_in_words()
    {
        Assert.Equal(new Refusal(403, "not-owner", "Only the owner or a manager can park an item."), In(IP).Park(T0.AddHours(1), null, Other, false, T0).Refusal);
        Assert.Equal(new Refusal(400, "validation", "nextCheckAt is required and must be in the future."), In(IP).Park(T0, null, Primary, false, T0).Refusal);
        Assert.Equal(new Refusal(409, "no-owner", "A parked item must still have an owner: reassign it first."),
            NewCall(new Duty(null, null, null)).Park(T0.AddHours(1), null, Manager, true, T0).Refusal);
        Assert.Equal(new Refusal(403, "not-owner", "Only the item's owner records its attempts."), In(IP).LeaveVoicemail(Other, "Oli").Refusal);
        Assert.Equal(new Refusal(403, "not-owner", "Only the item's owner or a manager records its disposition."),
            In(IP).Dispose(Outcomes.BookedJob, null, null, null, Other, false, T0).Refusal);
        Assert.Equal(new Refusal(422, "cannot-call-back", "A withheld caller has no number to flag."),
            NewCall(phone: null).Dispose(Outcomes.WrongNumber, null, null, null, Primary, false, T0).Refusal);
        Assert.Equal(new Refusal(409, "outcome-does-not-fit", "The outcome does not fit what happened in this loop.", "no-answer-two-attempts needs 2 call attempts; this loop has had 0."),
            In(IP).Dispose(Outcomes.NoAnswerTwoAttempts, null, null, null, Primary, false, T0).Refusal);
        Assert.Equal(new Refusal(409, "outcome-does-not-fit", "The outcome does not fit what happened in this loop.", "left-voicemail needs a call attempt first: a voicemail is left on an attempt."),
            In(IP).Dispose(Outcomes.LeftVoicemail, null, null, null, Primary, false, T0).Refusal);
        Assert.Equal(new Refusal(403, "not-owner", "Only the item's owner places its calls; claim it first."), In(IP).AttemptPlaced(Other, "Oli", T0, T0).Refusal);
        var twice = In(IP);
        twice.AttemptPlaced(Primary, "Pat", T0, T0);
        twice.AttemptPlaced(Primary, "Pat", T0, T0);
        Assert.Equal(new Refusal(409, "attempts-exhausted", "This loop already had 2 call attempts.", "Record a disposition (no-answer-two-attempts, left-voicemail, …) or a reschedule."),
            twice.AttemptPlaced(Primary, "Pat", T0, T0).Refusal);
        Assert.Equal(new Refusal(403, "not-owner", "Only the item's owner sends its SMS; claim it first."), In(IP).SmsRequested("hi", Other, true, T0).Refusal);
        Assert.Equal(new Refusal(422, "cannot-call-back", "The caller withheld their number: nobody can text back."), NewCall(phone: null).SmsRequested("hi", Primary, true, T0).Refusal);
        var sent = In(IP);
        sent.SmsRequested("hi", Primary, true, T0);
        Assert.Equal(new Refusal(409, "sms-already-sent", "This loop's one SMS was already sent."), sent.SmsRequested("hi", Primary, true, T0).Refusal);
    }

    public static TheoryData<string, string, string, string> TimelineEntries() => new()
    {
        { "reassign", NC, TimelineKinds.Reassigned, "Morgan reassigned it." },
        { "escalate by hand", NC, TimelineKinds.Escalated, "Morgan escalated it." },
        { "park", IP, TimelineKinds.Limbo, "Parked until 2026-03-02 18:00:00Z: waiting on parts." },
        { "customer texts STOP", IP, TimelineKinds.OptedOut, "The customer texted STOP: the loop ends now." },
        { "dispose as booked", IP, TimelineKinds.Disposed, "booked-job" },
        { "clock starts", NC, TimelineKinds.ClockStarted, "The shop opened: this after-hours item is now on the clock." },
        { "first-attempt target passes", NC, TimelineKinds.BackupTriggered, "Nobody claimed or called within the first-attempt target: the backup owner takes it." },
        { "SLA passes", NC, TimelineKinds.Escalated, "No attempt within the SLA: escalated to the manager." },
        { "next-check time comes", LI, TimelineKinds.LimboCheck, "Next-check time reached: back in the queue." },
        { "the shop closes", NC, TimelineKinds.EndOfDay, "Open at close: needs completion, reassignment, escalation or a limbo next-check." },
        { "SMS sent", IP, TimelineKinds.SmsResult, "SMS sent." },
        { "claim by the primary", IP, TimelineKinds.Claimed, "Pat claimed it." },
        { "claim by the primary", NC, TimelineKinds.Claimed, "Pat claimed it." },
        { "claim by another CSR", NC, TimelineKinds.Claimed, $"Oli claimed it (was {Primary})." },
    };

    [Theory]
    [MemberData(nameof(TimelineEntries))]
    public void Each_transition_says_what_happened_on_the_timeline(string transition, string from, string kind, string detail)
    {
        var change = Table[transition].Act(In(from));
        Assert.Equal((kind, detail), (change.Kind, change.Detail));
    }

    [Fact]
    public void The_end_of_day_flag_for_an_item_without_an_owner_says_it_needs_reassignment() =>
        Assert.Equal("Open at close with no owner: needs reassignment.", NewCall(new Duty(null, null, null)).FlagEndOfDay(T0).Detail);

    [Fact]
    public void Park_without_a_note_says_only_until_when() =>
        Assert.Equal("Parked until 2026-03-02 17:00:00Z.", In(IP).Park(T0.AddHours(2), "  ", Primary, false, T0).Detail);

    [Fact]
    public void The_SMS_results_say_what_the_gate_decided()
    {
        var item = In(IP);
        Assert.Equal("SMS outcome unknown: the consent service is reconciling it with Twilio (it is never resent).", item.SmsSettled("unknown", [], T0).Detail);
        Assert.Equal("SMS failed: twilio-30007, carrier.", item.SmsSettled("failed", ["twilio-30007", "carrier"], T0).Detail);

        var fresh = In(IP);
        fresh.SmsSettled("sent", [], T0);
        Assert.True(fresh.SmsSent);
    }

    [Fact]
    public void A_disposition_shows_its_reason_and_note_when_there_are_some() =>
        Assert.Equal("booked-job: quoted the flat fee", In(IP).Dispose(Outcomes.BookedJob, null, "quoted the flat fee", null, Primary, false, T0).Detail);

    [Fact]
    public void Another_CSRs_claim_keeps_the_backup_and_drops_the_previous_primary()
    {
        var item = NewCall();
        item.Claim(Other, "Oli", T0);

        Assert.Equal((Other, Backup), (item.PrimaryOwnerId, item.BackupOwnerId));
    }

    [Fact]
    public void The_items_own_backup_takes_it_before_todays()
    {
        var item = NewCall();
        item.TriggerBackup(new Duty(Primary, Other, Manager), T0.AddMinutes(5));

        Assert.Equal((Backup, Primary), (item.PrimaryOwnerId, item.BackupOwnerId));
    }

    [Fact]
    public void An_unclaimed_item_with_an_attempt_still_counting_stays_in_progress()
    {
        var item = NewCall();
        item.AttemptPlaced(Primary, "Pat", T0, T0);
        item.AttemptPlaced(Primary, "Pat", T0.AddMinutes(1), T0);
        item.AttemptNotCounted(1, T0, "x");

        Assert.Equal(IP, item.Status);
    }

    [Fact]
    public void A_reply_at_the_same_moment_as_the_last_one_changes_nothing()
    {
        var item = In(IP);
        item.CustomerReplied("first", "SM1", T0.AddMinutes(1));

        Assert.False(item.CustomerReplied("again", "SM1", T0.AddMinutes(1)).Changed);
        Assert.False(item.OptedOut(T0.AddMinutes(1), T0.AddMinutes(2)).Changed);
    }

    [Fact]
    public void A_merge_keeps_the_account_already_known_and_a_voicemail_item_stays_one()
    {
        var item = RecoveryItem.FromCall(Guid.CreateVersion7(), new CapturedCall("CA1", "voicemail", "+15551234567", false, "+15550000001", false, T0),
            "+15551234567", new ContactInfo("contact-1", Guid.Parse("00000000-0000-0000-0000-00000000000a"), "Acme"),
            new LoopTimes(T0, T0.AddMinutes(5), T0.AddMinutes(15), false), Today, T0);
        item.MergeCall(new CapturedCall("CA2", "missed", "+15551234567", false, "+15550000001", false, T0), newCall: true, new ContactInfo("contact-1", Guid.NewGuid(), "Other Co"));

        Assert.Equal((ItemTypes.Voicemail, "Acme", Guid.Parse("00000000-0000-0000-0000-00000000000a")), (item.Type, item.AccountName, item.AccountId!.Value));
    }

    [Fact]
    public void The_same_call_reported_again_says_so()
    {
        var change = NewCall().MergeCall(new CapturedCall("CA1", "abandoned", "+15551234567", false, "+15550000001", false, T0), newCall: false, new ContactInfo("contact-1", null, null));
        Assert.Equal((TimelineKinds.Merged, "Same call reported abandoned."), (change.Kind, change.Detail));
    }

    [Theory]
    [InlineData(ItemTypes.PostJob, true)]
    [InlineData(ItemTypes.PromisedUpdate, true)]
    [InlineData(ItemTypes.Warranty, false)]
    [InlineData(ItemTypes.Emergency, false)]
    public void A_promised_update_and_a_post_job_call_are_due_at_their_time_the_others_at_their_SLA(string type, bool dueAtItsTime)
    {
        var promised = T0.AddHours(24);
        var item = RecoveryItem.FromCallback(Guid.CreateVersion7(), new CallbackOpening(type, "+15551234567", null, promised, null, null, null, null),
            new ContactInfo("contact-1", null, null), new LoopTimes(T0, promised.AddHours(20), promised.AddHours(24), false), Today, T0);

        Assert.Equal(dueAtItsTime ? promised : promised.AddHours(24), item.DueAt!.Value);
    }

    [Fact]
    public void A_promised_update_without_a_time_is_due_at_its_SLA()
    {
        var item = RecoveryItem.FromCallback(Guid.CreateVersion7(), new CallbackOpening(ItemTypes.PromisedUpdate, "+15551234567", null, null, null, null, null, null),
            new ContactInfo("contact-1", null, null), new LoopTimes(T0, T0.AddMinutes(5), T0.AddMinutes(15), false), Today, T0);

        Assert.Equal(T0.AddMinutes(15), item.DueAt!.Value);
    }

    [Fact]
    public void Missing_arguments_are_refused_as_bugs()
    {
        var contact = new ContactInfo("c", null, null);
        var times = new LoopTimes(T0, T0, T0, false);
        var call = new CapturedCall("CA1", "missed", "+15551234567", false, "+1", false, T0);
        var opening = new CallbackOpening(ItemTypes.Estimate, "+15551234567", null, null, null, null, null, null);
        var actions = new Action[]
        {
            () => RecoveryItem.FromCall(Guid.Empty, null!, null, contact, times, Today, T0),
            () => RecoveryItem.FromCall(Guid.Empty, call, null, null!, times, Today, T0),
            () => RecoveryItem.FromCall(Guid.Empty, call, null, contact, null!, Today, T0),
            () => RecoveryItem.FromCall(Guid.Empty, call, null, contact, times, null!, T0),
            () => RecoveryItem.FromCallback(Guid.Empty, null!, contact, times, Today, T0),
            () => RecoveryItem.FromCallback(Guid.Empty, opening, null!, times, Today, T0),
            () => RecoveryItem.FromCallback(Guid.Empty, opening, contact, null!, Today, T0),
            () => RecoveryItem.FromCallback(Guid.Empty, opening, contact, times, null!, T0),
            () => NewCall().MergeCall(null!, true, contact),
            () => NewCall().MergeCall(call, true, null!),
            () => NewCall().Dispose(null!, null, null, null, Primary, false, T0),
            () => NewCall().SmsSettled("sent", null!, T0),
            () => NewCall().CustomerReplied(null!, "SM1", T0),
            () => NewCall().TriggerBackup(null!, T0),
            () => NewCall().EscalateOverdue(null!, T0),
        };

        Assert.All(actions, act => Assert.Throws<ArgumentNullException>(act));
    }
}
