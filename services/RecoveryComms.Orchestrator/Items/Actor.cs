using Dapper;
using Npgsql;

namespace RecoveryComms.Orchestrator.Items;

/// <summary>Who did something: a user, or the system (timers, consumers).</summary>
public sealed record Actor(Guid? Id, string Name)
{
    public static readonly Actor System = new(null, "system");
}
