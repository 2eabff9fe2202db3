using Dapper;
using Npgsql;
using RecoveryComms.Orchestrator.Attempts;
using RecoveryComms.Orchestrator.Items;

namespace RecoveryComms.Orchestrator.Views;

public sealed record OwnerView(Guid Id, string Name);

/// <summary>What made the item an emergency: the phrase or key that matched and where (<c>transcript</c>, <c>sms</c>, <c>note</c>, <c>keypress</c>, <c>answering-service</c>).</summary>
public sealed record EmergencyView(string Matched, string Source);

/// <summary>An item as the contract's "Recovery items" section shows it (camelCase JSON), plus a few extras.</summary>
public sealed record ItemView(
    Guid Id, string Type, string Status, string? Phone, string ContactKey, string? AccountName, int Occurrences,
    DateTimeOffset CreatedAt, DateTimeOffset FirstAttemptDueAt, DateTimeOffset SlaDueAt, OwnerView? PrimaryOwner, OwnerView? BackupOwner,
    int Attempts, bool SmsSent, bool VoicemailLeft, string? Transcript, bool AfterHours,
    bool CannotCallBack, bool ShortAbandon, string? ShopLine, DateTimeOffset ClockStartsAt, DateTimeOffset? DueAt,
    DateTimeOffset? FirstAttemptAt, DateTimeOffset? BackupTriggeredAt, DateTimeOffset? EscalatedAt, DateTimeOffset? CustomerRepliedAt,
    DateTimeOffset? NextCheckAt, bool HasRecording, string? Outcome, string? Reason, string? Note, DateTimeOffset? RescheduleAt,
    DateTimeOffset? DisposedAt, string? OriginalJobNumber, string? TechName, string? JobType, string? Details, int Version, DateTimeOffset UpdatedAt,
    int Priority, DateTimeOffset SortAt)
{
    /// <summary>Null unless an emergency rule matched (the contract's <c>emergency: {matched, source} | null</c>).</summary>
    public EmergencyView? Emergency { get; init; }
}

public sealed record AttemptView(
    Guid Id, Guid CsrId, string CsrName, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string Result, bool Counts,
    string? CsrLegStatus, string? CustomerLegStatus, string? AnsweredBy, bool VoicemailLeft, bool Recorded, string? RecordingSid, int? RecordingSeconds, string? Error);

public sealed record SmsView(Guid SendId, string Body, string Status, IReadOnlyList<string> Reasons, string? Delivery, DateTimeOffset RequestedAt, DateTimeOffset? DecidedAt);

public sealed record OccurrenceView(string CallSid, string Kind, string? Caller, DateTimeOffset OccurredAt);

public sealed record TimelineView(DateTimeOffset At, OwnerView? Actor, string ActorName, string Kind, string Detail, string Status);

/// <summary><c>GET /api/recoveries/{id}</c>: the item, every call merged into it, its attempts, its SMS and its whole timeline.</summary>
public sealed record ItemDetail(
    ItemView Item, IReadOnlyList<OccurrenceView> Occurrences, IReadOnlyList<AttemptView> CallAttempts, IReadOnlyList<SmsView> Sms,
    IReadOnlyList<TimelineView> Timeline);

public sealed record ItemList(IReadOnlyList<ItemView> Items);
