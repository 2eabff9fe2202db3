using Dapper;
using Npgsql;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Orchestrator.Attempts;
using RecoveryComms.Orchestrator.Owners;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Actions;

public sealed record DispositionRequest(string? Outcome, string? Reason, string? Note, DateTimeOffset? RescheduleAt);

public sealed record ReassignRequest(Guid? PrimaryOwnerId, Guid? BackupOwnerId);

public sealed record LimboRequest(DateTimeOffset? NextCheckAt, string? Note);

public sealed record CallbackRequest(string? Type, string? Phone, DateTimeOffset? DueAt, string? OriginalJobNumber, string? TechName, string? JobType, string? Note);
