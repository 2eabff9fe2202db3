using Dapper;
using NodaTime;
using Npgsql;
using RecoveryComms.Hosting.Auth;

namespace RecoveryComms.Orchestrator.Owners;

/// <summary>Who is on duty on a shop-local weekday.</summary>
public sealed record Duty(Guid? PrimaryUserId, Guid? BackupUserId, Guid? ManagerUserId);

public sealed record DutyPerson(Guid Id, string Name);

public sealed record DayView(string Weekday, DutyPerson? Primary, DutyPerson? Backup, DutyPerson? Manager);

public sealed record SetDayRequest(Guid? PrimaryUserId, Guid? BackupUserId, Guid? ManagerUserId);

/// <summary>
/// Owns <c>orchestrator.rotation</c> (the only class with its SQL; it reads <c>orchestrator.users</c> for names and
/// roles): the dispatcher (primary), backup and manager for each weekday, which managers set. A new item gets the primary and backup of the day its clock starts on, so every item has two named
/// people, never "the office".
/// </summary>
public sealed class Rotation(NpgsqlDataSource dataSource, TimeProvider time)
{
    private const string DutySql = """
        SELECT primary_user_id AS PrimaryUserId, backup_user_id AS BackupUserId, manager_user_id AS ManagerUserId
        FROM orchestrator.rotation WHERE weekday = @Weekday
        """;

    private const string WeekSql = """
        SELECT r.weekday, r.primary_user_id, p.name AS primary_name, r.backup_user_id, b.name AS backup_name, r.manager_user_id, m.name AS manager_name
        FROM orchestrator.rotation r
        LEFT JOIN orchestrator.users p ON p.id = r.primary_user_id
        LEFT JOIN orchestrator.users b ON b.id = r.backup_user_id
        LEFT JOIN orchestrator.users m ON m.id = r.manager_user_id
        ORDER BY r.weekday
        """;

    private const string UpsertSql = """
        INSERT INTO orchestrator.rotation (weekday, primary_user_id, backup_user_id, manager_user_id, updated_at, updated_by)
        VALUES (@Weekday, @PrimaryUserId, @BackupUserId, @ManagerUserId, @At, @By)
        ON CONFLICT (weekday) DO UPDATE SET primary_user_id = EXCLUDED.primary_user_id, backup_user_id = EXCLUDED.backup_user_id,
            manager_user_id = EXCLUDED.manager_user_id, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
        """;

    public static async Task<Duty> DutyAsync(NpgsqlConnection c, NpgsqlTransaction? tx, IsoDayOfWeek day, CancellationToken ct) =>
        await c.QuerySingleOrDefaultAsync<Duty>(new CommandDefinition(DutySql, new { Weekday = (short)day }, tx, cancellationToken: ct))
        ?? new Duty(null, null, null);

    public async Task<IReadOnlyList<DayView>> WeekAsync(CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var rows = (await c.QueryAsync<(short Weekday, Guid? PrimaryUserId, string? PrimaryName, Guid? BackupUserId, string? BackupName, Guid? ManagerUserId, string? ManagerName)>(
            new CommandDefinition(WeekSql, cancellationToken: ct))).ToDictionary(r => r.Weekday);
        return Enumerable.Range(1, 7).Select(d =>
        {
            rows.TryGetValue((short)d, out var r);
            return new DayView(((IsoDayOfWeek)d).ToString().ToLowerInvariant(), Person(r.PrimaryUserId, r.PrimaryName), Person(r.BackupUserId, r.BackupName), Person(r.ManagerUserId, r.ManagerName));
        }).ToList();
    }

    public async Task<string?> SetAsync(IsoDayOfWeek day, SetDayRequest request, string by, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var ids = new[] { request.PrimaryUserId, request.BackupUserId, request.ManagerUserId }.OfType<Guid>().Distinct().ToArray();
        var roles = (await c.QueryAsync<(Guid Id, string Role)>(new CommandDefinition(
            "SELECT id, role FROM orchestrator.users WHERE id = ANY(@Ids)", new { Ids = ids }, cancellationToken: ct))).ToDictionary(r => r.Id, r => r.Role);
        if (ids.FirstOrDefault(id => !roles.ContainsKey(id)) is var missing && missing != Guid.Empty)
        {
            return $"No user {missing}.";
        }

        if (request.PrimaryUserId is not null && request.PrimaryUserId == request.BackupUserId)
        {
            return "The primary and the backup must be two different people.";
        }

        if (request.ManagerUserId is { } manager && roles[manager] is not (Roles.Manager or Roles.Admin))
        {
            return "The escalation owner must be a manager.";
        }

        await c.ExecuteAsync(new CommandDefinition(UpsertSql, new
        {
            Weekday = (short)day, request.PrimaryUserId, request.BackupUserId, request.ManagerUserId, At = time.GetUtcNow(), By = by,
        }, cancellationToken: ct));
        return null;
    }

    private static DutyPerson? Person(Guid? id, string? name) => id is { } value ? new DutyPerson(value, name ?? "") : null;
}
