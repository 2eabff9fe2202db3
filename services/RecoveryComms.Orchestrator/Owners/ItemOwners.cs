using NodaTime;
using Npgsql;
using RecoveryComms.Orchestrator.Settings;
using RecoveryComms.Orchestrator.Users;

namespace RecoveryComms.Orchestrator.Owners;

/// <summary>The two people a new item starts with, and, when they are not the day's rotation, why (for its timeline).</summary>
/// <param name="Owners">The primary and backup (the manager is the day's, for escalation).</param>
/// <param name="Note">Null when the rotation named both; otherwise what the timeline says about where the names came from.</param>
public sealed record OwnerPick(Duty Owners, string? Note);

/// <summary>
/// Puts two names on every new item: the weekday's rotation first, then the shop's fallback owners (settings), then,
/// when neither names two people, the first staff members (CSRs, then managers, oldest first), so an item is never
/// "the office's". Only a shop with fewer than two staff gets an item short of two owners, and the console says so.
/// </summary>
public static class ItemOwners
{
    /// <summary>The owners of an item whose clock starts on <paramref name="day"/>; <paramref name="named"/> (a callback's own owners) come first.</summary>
    public static async Task<OwnerPick> PickAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, IsoDayOfWeek day, FallbackOwners fallback, Duty? named, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        var rotation = await Rotation.DutyAsync(c, tx, day, ct);
        var duty = new Duty(named?.PrimaryUserId ?? rotation.PrimaryUserId, named?.BackupUserId ?? rotation.BackupUserId, rotation.ManagerUserId);
        var staff = Complete(duty, fallback, []) is (not null, not null)
            ? []
            : await UserStore.FirstStaffAsync(c, tx, 2, ct);
        return Pick(duty, fallback, staff, day);
    }

    /// <summary>The rule itself, without the database: rotation, then fallback owners, then the first staff.</summary>
    /// <param name="duty">The weekday's rotation.</param>
    /// <param name="fallback">The shop's fallback owners.</param>
    /// <param name="staff">The first staff members, in the order they are used.</param>
    /// <param name="day">The weekday, for the note.</param>
    public static OwnerPick Pick(Duty duty, FallbackOwners fallback, IReadOnlyList<Guid> staff, IsoDayOfWeek day)
    {
        ArgumentNullException.ThrowIfNull(duty);
        ArgumentNullException.ThrowIfNull(fallback);
        ArgumentNullException.ThrowIfNull(staff);
        var weekday = day.ToString();
        var (primary, backup) = Complete(duty, FallbackOwners.None, []);
        if (primary is not null && backup is not null)
        {
            return new OwnerPick(duty, null);
        }

        var rotationGap = duty.PrimaryUserId is null && duty.BackupUserId is null
            ? $"{weekday} has no rotation"
            : $"{weekday}'s rotation names only one owner";
        (primary, backup) = Complete(duty, fallback, []);
        string note;
        if (primary is not null && backup is not null)
        {
            note = $"{rotationGap}: the shop's fallback owners take it.";
        }
        else
        {
            (primary, backup) = Complete(duty, fallback, staff);
            note = primary is not null && backup is not null
                ? $"{rotationGap} and no fallback owners are set: the first staff members take it. Set the rotation or the fallback owners in Settings."
                : primary is null
                    ? "No staff can own this item: add CSRs and managers, then set the rotation."
                    : $"{rotationGap} and there is no second staff member: this item has no backup. Add staff, then set the rotation.";
        }

        return new OwnerPick(new Duty(primary, backup, duty.ManagerUserId), note);
    }

    // The first two different people of the rotation, the fallback owners and the staff, in that order.
    private static (Guid? Primary, Guid? Backup) Complete(Duty duty, FallbackOwners fallback, IReadOnlyList<Guid> staff)
    {
        var people = new[] { duty.PrimaryUserId, duty.BackupUserId, fallback.PrimaryUserId, fallback.BackupUserId }
            .OfType<Guid>().Concat(staff).Distinct().Take(2).ToArray();
        return (people.Length > 0 ? people[0] : null, people.Length > 1 ? people[1] : null);
    }
}
