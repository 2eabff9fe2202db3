using Dapper;
using Npgsql;

namespace RecoveryComms.Orchestrator.Items;

/// <summary>A timeline row.</summary>
public sealed record TimelineEntry(long Id, DateTime At, Guid? ActorId, string ActorName, string Kind, string Detail, string Status);
