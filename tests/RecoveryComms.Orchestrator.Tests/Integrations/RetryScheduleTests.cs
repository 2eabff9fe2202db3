using RecoveryComms.Orchestrator.Integrations;

namespace RecoveryComms.Orchestrator.Tests.Integrations;

public sealed class RetryScheduleTests
{
    private static readonly CrmWebhookOptions Options = new();
    private static readonly DateTimeOffset Created = new(2026, 11, 18, 17, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Expires = Created.AddHours(24);

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(3, 40)]
    [InlineData(9, 2560)]
    [InlineData(10, 3600)]
    [InlineData(40, 3600)]
    public void Delay_DoublesFromTenSecondsUpToAnHour_JitteredInTheUpperHalf(int attemptsMade, int nominalSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(nominalSeconds), RetrySchedule.Delay(attemptsMade, Options, random: 1));
        Assert.Equal(TimeSpan.FromSeconds(nominalSeconds / 2.0), RetrySchedule.Delay(attemptsMade, Options, random: 0));
        Assert.InRange(RetrySchedule.Delay(attemptsMade, Options, random: 0.37), TimeSpan.FromSeconds(nominalSeconds / 2.0), TimeSpan.FromSeconds(nominalSeconds));
    }

    [Fact]
    public void NextAttempt_BeforeExpiry_IsNowPlusTheDelay()
    {
        var now = Created.AddMinutes(3);

        Assert.Equal(now.AddSeconds(40), RetrySchedule.NextAttempt(now, 3, Expires, Options, random: 1));
    }

    [Fact]
    public void NextAttempt_DelayReachingPastExpiry_IsTheExpiryItself()
    {
        var now = Expires.AddMinutes(-10);

        Assert.Equal(Expires, RetrySchedule.NextAttempt(now, 30, Expires, Options, random: 1));
    }

    [Fact]
    public void NextAttempt_AtOrAfterExpiry_IsNull()
    {
        Assert.Null(RetrySchedule.NextAttempt(Expires, 30, Expires, Options, random: 0.5));
        Assert.Null(RetrySchedule.NextAttempt(Expires.AddSeconds(1), 30, Expires, Options, random: 0.5));
    }
}
