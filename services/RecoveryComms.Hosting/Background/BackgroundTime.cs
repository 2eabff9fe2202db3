namespace RecoveryComms.Hosting.Background;

/// <summary>
/// The clock and the dice of background loops: infrastructure time (idle waits, back-off, how long a loop has been
/// failing), never business time. The system clock in a service, so that tests which drive business time with a
/// fake clock never stall a loop; a test of the loops themselves hands them a clock it controls.
/// </summary>
public sealed class BackgroundTime(TimeProvider clock, Func<double> random)
{
    /// <summary>The system clock and <see cref="Random.Shared"/>.</summary>
    public static BackgroundTime System { get; } = new(TimeProvider.System, Random.Shared.NextDouble);

    public TimeProvider Clock { get; } = clock ?? throw new ArgumentNullException(nameof(clock));

    /// <summary>A number in [0, 1) for the back-off's jitter.</summary>
    public double NextRandom() => random();
}
