namespace RecoveryComms.Orchestrator.Items;

/// <summary>
/// One row of <c>orchestrator.recovery_items</c>: a plain state machine. Every change goes through a method
/// here that says whether it is allowed, so the rules sit in one place and the endpoints, consumers and timers
/// only load, ask, and save (<see cref="RecoveryItemStore"/>).
/// </summary>
public sealed class RecoveryItem
{
    public Guid Id { get; set; }

    public string Type { get; set; } = "";

    public string Status { get; set; } = ItemStatuses.NeedsCallback;

    public string? Phone { get; set; }

    public string ContactKey { get; set; } = "";

    public Guid? AccountId { get; set; }

    public string? AccountName { get; set; }

    public string? ShopLine { get; set; }

    public int Occurrences { get; set; } = 1;

    public DateTime CreatedAt { get; set; }

    public DateTime ClockStartsAt { get; set; }

    public DateTime FirstAttemptDueAt { get; set; }

    public DateTime SlaDueAt { get; set; }

    public DateTime? DueAt { get; set; }

    public short Priority { get; set; }

    public DateTime SortAt { get; set; }

    public Guid? PrimaryOwnerId { get; set; }

    public Guid? BackupOwnerId { get; set; }

    public DateTime? ClaimedAt { get; set; }

    public int Attempts { get; set; }

    public DateTime? FirstAttemptAt { get; set; }

    public bool SmsSent { get; set; }

    public bool VoicemailLeft { get; set; }

    public string? Transcript { get; set; }

    public string? RecordingSid { get; set; }

    public string? RecordingUrl { get; set; }

    public bool AfterHours { get; set; }

    public bool CannotCallBack { get; set; }

    public bool ShortAbandon { get; set; }

    public DateTime? BackupTriggeredAt { get; set; }

    public DateTime? EscalatedAt { get; set; }

    public DateTime? CustomerRepliedAt { get; set; }

    public DateTime? NextCheckAt { get; set; }

    public DateTime? EodFlaggedAt { get; set; }

    public string? Outcome { get; set; }

    public string? Reason { get; set; }

    public string? Note { get; set; }

    public DateTime? RescheduleAt { get; set; }

    public DateTime? DisposedAt { get; set; }

    public Guid? DisposedBy { get; set; }

    public string? OriginalJobNumber { get; set; }

    public string? TechName { get; set; }

    public string? JobType { get; set; }

    public string? Details { get; set; }

    public int Version { get; set; }

    public DateTime UpdatedAt { get; set; }

    public bool IsOpen => Status != ItemStatuses.Completed;

    public bool IsCall => ItemTypes.Calls.Contains(Type);

    /// <summary>Who may work the item: its primary owner (or, once the backup trigger fired, the backup).</summary>
    public bool IsOwnedBy(Guid userId) => PrimaryOwnerId == userId;

    /// <summary>A CSR takes the item: the previous primary becomes the backup when there was none.</summary>
    public string? Claim(Guid userId, DateTime at)
    {
        if (!IsOpen)
        {
            return "The item is completed.";
        }

        if (PrimaryOwnerId == userId && ClaimedAt is not null)
        {
            return null;
        }

        if (ClaimedAt is not null && PrimaryOwnerId is not null && PrimaryOwnerId != userId)
        {
            return "Another CSR already claimed this item; a manager can reassign it.";
        }

        if (BackupOwnerId == userId)
        {
            BackupOwnerId = PrimaryOwnerId;
        }
        else if (BackupOwnerId is null && PrimaryOwnerId != userId)
        {
            BackupOwnerId = PrimaryOwnerId;
        }

        PrimaryOwnerId = userId;
        ClaimedAt = at;
        if (Status is ItemStatuses.NeedsCallback or ItemStatuses.Escalated or ItemStatuses.Limbo)
        {
            Status = ItemStatuses.InProgress;
        }

        return null;
    }

    /// <summary>Records that an attempt was placed (counts toward the loop's two).</summary>
    public void AttemptPlaced(DateTime at)
    {
        Attempts++;
        FirstAttemptAt ??= at;
        if (Status is ItemStatuses.NeedsCallback or ItemStatuses.Escalated or ItemStatuses.Limbo or ItemStatuses.LeftMessage)
        {
            Status = ItemStatuses.InProgress;
        }
    }

    /// <summary>Closes the loop with an outcome. The only way an item is completed.</summary>
    public void Dispose(string outcome, string? reason, string? note, DateTime? rescheduleAt, Guid? by, DateTime at)
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
