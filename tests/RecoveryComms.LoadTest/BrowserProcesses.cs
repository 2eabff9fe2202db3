using System.Diagnostics;
using System.Globalization;

namespace RecoveryComms.LoadTest;

/// <summary>
/// The Chromium processes this load tool started (through Playwright's driver), read from /proc: their CPU time, and
/// their CPU affinity. The load tool runs pinned to one core; the browser is the thing measured, so it gets every core.
/// </summary>
internal static class BrowserProcesses
{
    private const double TicksPerSecond = 100; // USER_HZ, 100 on Linux.

    /// <summary>CPU seconds (user + system) used so far by the Chromium processes under this one.</summary>
    public static double CpuSeconds() => Chromium().Sum(p => p.CpuSeconds);

    /// <summary>
    /// Gives the Chromium processes (all their threads) every online core, when this process was pinned (taskset is
    /// inherited). Called after each new page, whose renderer may be new. Returns a description of what was done.
    /// </summary>
    public static string UnpinChromium()
    {
        const string Online = "/sys/devices/system/cpu/online";
        if (!OperatingSystem.IsLinux() || !File.Exists(Online))
        {
            return $"{Environment.ProcessorCount} cores";
        }

        var cores = File.ReadAllText(Online).Trim();
        var mine = Affinity(Environment.ProcessId);
        if (mine == cores)
        {
            return $"cores {cores}, load tool and browser unpinned";
        }

        foreach (var process in Chromium().Where(p => Affinity(p.Pid) != cores))
        {
            using var taskset = Process.Start(new ProcessStartInfo("taskset", ["-a", "-p", "-c", cores, process.Pid.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
            })!;
            taskset.WaitForExit();
        }

        return $"cores {cores}, load tool pinned to {mine}, browser on {string.Join(" ", Chromium().Select(p => Affinity(p.Pid)).Distinct())}";
    }

    private sealed record Entry(int Pid, int Parent, string Name, double CpuSeconds);

    /// <summary>Chromium processes descending from this process.</summary>
    private static List<Entry> Chromium()
    {
        var all = new Dictionary<int, Entry>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } entry)
            {
                all[pid] = entry;
            }
        }

        bool Mine(Entry entry)
        {
            for (var parent = entry.Parent; parent > 1 && all.TryGetValue(parent, out var up); parent = up.Parent)
            {
                if (parent == Environment.ProcessId)
                {
                    return true;
                }
            }

            return false;
        }

        return all.Values.Where(e => e.Name.StartsWith("chrom", StringComparison.Ordinal) && Mine(e)).ToList();
    }

    private static Entry? Read(int pid)
    {
        try
        {
            // pid (name) state ppid … utime stime: fields 14 and 15, counted from the state after the name's ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            var name = stat[(stat.IndexOf('(') + 1)..close];
            var fields = stat[(close + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return new Entry(pid, int.Parse(fields[1], CultureInfo.InvariantCulture), name, ticks / TicksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // The process ended while we looked.
        }
    }

    private static string Affinity(int pid) =>
        File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))?.Split('\t')[^1].Trim() ?? "?";
}
