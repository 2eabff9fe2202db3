using RecoveryComms.Hosting.Background;

namespace RecoveryComms.Orchestrator.Tests.Background;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(1, 200)]
    [InlineData(2, 400)]
    [InlineData(3, 800)]
    [InlineData(5, 3200)]
    [InlineData(6, 5000)]
    [InlineData(60, 5000)]
    public void Delay_WithTheHighestJitter_Is200MsDoublingTo5s(int failures, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Backoff.Delay(failures, 1.0));

    [Theory]
    [InlineData(1, 100)]
    [InlineData(4, 800)]
    [InlineData(9, 2500)]
    public void Delay_WithTheLowestJitter_IsHalfOfIt(int failures, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Backoff.Delay(failures, 0.0));

    [Fact]
    public void Delay_BeforeAnyFailure_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Delay(0, 0.5));
}
