using Microsoft.Extensions.Time.Testing;
using Npgsql;
using RecoveryComms.Consent;
using RecoveryComms.Consent.Suppression;

namespace RecoveryComms.Rules.Tests.Suppression;

/// <summary>
/// What the suppression policy decides before it reads anything: which channels exist, and that a withheld or
/// unreadable number is refused at once with its reason. The data source points at no server and is never opened:
/// a test that reached the database would fail.
/// </summary>
/// <remarks>
/// Note: the rules that read a number's consent, flags and quiet hours run inside one SQL round trip in
/// <c>DecideAsync(connection, …)</c>; they are proven by the consent service's integration tests against PostgreSQL.
/// </remarks>
public sealed class SuppressionPolicyTests : IDisposable
{
    private readonly NpgsqlDataSource _nowhere = NpgsqlDataSource.Create("Host=invalid.invalid;Port=1;Timeout=1;Database=none;Username=none");

    private SuppressionPolicy Policy(string region = "US")
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 3, 16, 0, 0, TimeSpan.Zero));
        return new SuppressionPolicy(
            _nowhere, new QuietHours(_nowhere, time), time, new FixedOptions<ConsentOptions>(new ConsentOptions { DefaultRegion = region }),
            new FixedOptions<MessagingOptions>(new MessagingOptions { A2PRegistered = true }));
    }

    public void Dispose() => _nowhere.Dispose();

    [Theory]
    [InlineData("sms", true)]
    [InlineData("voice", true)]
    [InlineData("SMS", false)]
    [InlineData("email", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsChannel_SmsAndVoiceOnly(string? channel, bool known) => Assert.Equal(known, SuppressionPolicy.IsChannel(channel));

    [Theory]
    [InlineData("anonymous", "anonymous")]
    [InlineData(" Restricted ", "Restricted")]
    [InlineData("+266696687", "+266696687")]
    [InlineData("", "")]
    [InlineData("   ", "")]
    [InlineData(null, "")]
    public async Task DecideAsync_AWithheldCaller_IsRefusedAsAnonymous(string? raw, string phone)
    {
        foreach (var channel in new[] { "sms", "voice" })
        {
            var decision = await Policy().DecideAsync(raw!, channel, CancellationToken.None);

            Assert.Equal((phone, channel, false), (decision.Phone, decision.Channel, decision.Allowed));
            Assert.Equal(["anonymous"], decision.Reasons);
        }
    }

    [Theory]
    [InlineData("12", "12")]
    [InlineData(" call me ", "call me")]
    [InlineData("+1 312", "+1 312")]
    public async Task DecideAsync_ANumberThatCannotBeDialled_IsRefusedAsInvalid(string raw, string phone)
    {
        var decision = await Policy().DecideAsync(raw, "sms", CancellationToken.None);

        Assert.Equal((phone, "sms", false), (decision.Phone, decision.Channel, decision.Allowed));
        Assert.Equal(["invalid-number"], decision.Reasons);
    }

    [Fact]
    public async Task DecideAsync_TheConnectionPath_RequiresAConnection() =>
        await Assert.ThrowsAsync<ArgumentNullException>(() => Policy().DecideAsync(null!, null, "+13125550101", "sms", CancellationToken.None));
}
