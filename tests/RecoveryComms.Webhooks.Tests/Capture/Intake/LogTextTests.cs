using RecoveryComms.Webhooks.Capture.Intake;

namespace RecoveryComms.Webhooks.Tests.Capture.Intake;

public sealed class LogTextTests
{
    [Theory]
    [InlineData("The 'To' number +15558675310 is not a valid phone number.", "The 'To' number ***5310 is not a valid phone number.")]
    [InlineData("Unsubscribed recipient (312) 555-0142", "Unsubscribed recipient ***0142")]
    [InlineData("Failed to connect to 127.0.0.1:5432", "Failed to connect to 127.0.0.1:5432")]
    [InlineData("Timeout after 3000 ms", "Timeout after 3000 ms")]
    public void Masked_KeepsOnlyTheLastFourDigitsOfAnythingPhoneLike(string text, string expected) =>
        Assert.Equal(expected, LogText.Masked(text));
}
