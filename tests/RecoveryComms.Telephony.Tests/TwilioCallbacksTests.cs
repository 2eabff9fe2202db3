namespace RecoveryComms.Telephony.Tests;

public sealed class TwilioCallbacksTests
{
    [Theory]
    [InlineData("https://hooks.shop.test")]
    [InlineData("https://hooks.shop.test/")]
    public void Callback_IsBasePathAndTheRetryFragment(string publicBase) =>
        Assert.Equal("https://hooks.shop.test/twilio/sms/status#rc=3&rp=ct,rt,5xx", TwilioCallbacks.Callback(publicBase, TwilioCallbacks.SmsStatus));

    [Fact]
    public void Callback_WithAQuery_PutsItBeforeTheFragment() =>
        Assert.Equal("https://hooks.shop.test/twilio/voice/attempt-status?attempt=42#rc=3&rp=ct,rt,5xx",
            TwilioCallbacks.Callback("https://hooks.shop.test", TwilioCallbacks.VoiceAttemptStatus, "attempt=42"));

    [Fact]
    public void Url_HasNoFragment() =>
        Assert.Equal("http://127.0.0.1:5080/twilio/voice/connect?customer=%2B13125550123",
            TwilioCallbacks.Url("http://127.0.0.1:5080/", TwilioCallbacks.VoiceConnect, "customer=%2B13125550123"));
}
