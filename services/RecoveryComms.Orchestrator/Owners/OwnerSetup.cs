using RecoveryComms.Orchestrator.Settings;
using RecoveryComms.Orchestrator.Users;

namespace RecoveryComms.Orchestrator.Owners;

/// <summary>
/// What a shop still has to set up before every new item gets two named owners of its own choosing: shown on every
/// console page (<c>GET /api/console/shop</c>) and beside the rotation in Settings, in the words a manager acts on.
/// </summary>
public static class OwnerSetup
{
    /// <summary>The warnings, most urgent first; empty when the rotation names two people every day.</summary>
    /// <param name="week">The rotation, all seven days.</param>
    /// <param name="fallback">The shop's fallback owners.</param>
    /// <param name="staff">How many CSRs and managers there are.</param>
    public static IReadOnlyList<string> Warnings(IReadOnlyList<DayView> week, FallbackOwners fallback, int staff)
    {
        ArgumentNullException.ThrowIfNull(week);
        ArgumentNullException.ThrowIfNull(fallback);
        var warnings = new List<string>();
        if (staff == 0)
        {
            warnings.Add("No staff yet: new callbacks have nobody to call them back. An admin adds CSRs and managers in Users, then a manager sets the rotation.");
            return warnings;
        }

        if (staff == 1)
        {
            warnings.Add("Only one staff member: new callbacks have no backup. Add a second CSR or manager.");
        }

        var missing = week.Where(d => d.Primary is null || d.Backup is null).Select(d => Capitalized(d.Weekday)).ToList();
        if (missing.Count > 0)
        {
            var fallbackSet = fallback.PrimaryUserId is not null && fallback.BackupUserId is not null;
            warnings.Add($"No primary and backup in the rotation for {string.Join(", ", missing)}: "
                + (fallbackSet
                    ? "the fallback owners take those days' callbacks."
                    : "no fallback owners are set either, so the first staff members take them. Set the rotation or the fallback owners in Settings."));
        }

        return warnings;
    }

    /// <summary>How many of <paramref name="users"/> can own items day to day (CSRs and managers).</summary>
    public static int StaffCount(IEnumerable<User> users) =>
        (users ?? throw new ArgumentNullException(nameof(users))).Count(u => u.Role is Hosting.Auth.Roles.Csr or Hosting.Auth.Roles.Manager);

    private static string Capitalized(string weekday) => weekday.Length == 0 ? weekday : char.ToUpperInvariant(weekday[0]) + weekday[1..];
}
