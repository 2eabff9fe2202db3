namespace RecoveryComms.Testing;

/// <summary>Waits for a condition that another process brings about, instead of sleeping a fixed time.</summary>
public static class Eventually
{
    /// <summary>How often the condition is asked again: short, since what is waited for is usually milliseconds away.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    public static async Task<T> ValueAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null, string? because = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        var last = await probe();
        while (!done(last))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met in time{(because is null ? "" : $": {because}")}; last value: {last}");
            }

            await Task.Delay(PollInterval);
            last = await probe();
        }

        return last;
    }
}
