using System.Text;
using Microsoft.Extensions.Options;
using RecoveryComms.Consent;
using RecoveryComms.Consent.Ledger;

namespace RecoveryComms.Rules.Tests.Ledger;

/// <summary>
/// The checkpoint signature (HMAC-SHA256 over a versioned message naming the row and its hash) and the key's
/// fingerprint. Expected values were computed outside .NET (Python's hmac and hashlib) from the documented formats.
/// </summary>
public sealed class CheckpointSignerTests
{
    private const string Key = "a-checkpoint-key-of-at-least-32-characters";

    private static readonly string Hash = string.Concat(Enumerable.Repeat("ab", 32));

    private static CheckpointSigner Signer(string? key = Key, string environment = "Production") =>
        new(Options.Create(new ConsentOptions { CheckpointKey = key }), new TestEnvironment(environment));

    [Fact]
    public void MessageOf_NamesTheFormatTheRowAndItsHash() =>
        Assert.Equal("recoverycomms/consent-ledger-checkpoint/1;42;" + Hash, Encoding.UTF8.GetString(CheckpointSigner.MessageOf(42, Hash)));

    [Fact]
    public void Sign_IsHmacSha256OfTheMessageInLowerCaseHex() =>
        Assert.Equal("96ec3029a54bf1cd40b57f5aded6b20394d43f0c0899bdbf8ddfb03adfc1ffe5", Signer().Sign(42, Hash));

    [Fact]
    public void KeyId_IsAFingerprintOfTheKey_NotTheKey()
    {
        Assert.Equal("b254bde18ea47404", Signer().KeyId);
        Assert.NotEqual(Signer().KeyId, Signer(Key + "!").KeyId);
    }

    [Fact]
    public void Constructor_InDevelopmentWithoutAKey_UsesThePublicDevelopmentKey()
    {
        Assert.Equal("4064a910d6e03557", Signer(null, "Development").KeyId);
        Assert.Equal("4064a910d6e03557", Signer("", "Development").KeyId);
        Assert.Equal(Signer(CheckpointSigner.DevelopmentKey).Sign(1, Hash), Signer(null, "Development").Sign(1, Hash));
        Assert.Equal(Signer().KeyId, Signer(Key, "Development").KeyId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Constructor_OutsideDevelopmentWithoutAKey_Refuses(string? key)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Signer(key, "Production"));

        Assert.Equal(CheckpointKeyValidation.Missing, error.Message);
    }

    [Fact]
    public void Constructor_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new CheckpointSigner(null!, new TestEnvironment("Production")));
        Assert.Throws<ArgumentNullException>(() => new CheckpointSigner(Options.Create(new ConsentOptions { CheckpointKey = Key }), null!));
    }

    public static TheoryData<string, long, string, Func<string, string>, bool> Signatures => new()
    {
        // scenario, event id, hash, what is done to the signature, valid
        { "its own signature", 42, Hash, s => s, true },
        { "in capitals", 42, Hash, s => s.ToUpperInvariant(), true },
        { "for another row", 43, Hash, s => s, false },
        { "for another hash", 42, ConsentLedger.Genesis, s => s, false },
        { "one digit changed", 42, Hash, s => (s[0] == '0' ? "1" : "0") + s[1..], false },
        { "cut short", 42, Hash, s => s[..^2], false },
        { "empty", 42, Hash, _ => "", false },
        { "not hex", 42, Hash, s => "zz" + s[2..], false },
        { "odd length", 42, Hash, s => s[..^1], false },
    };

    [Theory]
    [MemberData(nameof(Signatures))]
    public void IsValid_OnlyThisKeysSignatureOfThisRowAndHash(string scenario, long eventId, string hash, Func<string, string> change, bool valid)
    {
        Assert.NotEmpty(scenario);
        var signer = Signer();

        Assert.Equal(valid, signer.IsValid(eventId, hash, change(signer.Sign(42, Hash))));
    }

    [Fact]
    public void IsValid_AnotherKeysSignature_IsRefused() => Assert.False(Signer().IsValid(42, Hash, Signer(Key + "!").Sign(42, Hash)));

    [Theory]
    [InlineData("Development", null, true, null)]
    [InlineData("Development", "", true, null)]
    [InlineData("Production", null, false, CheckpointKeyValidation.Missing)]
    [InlineData("Staging", "", false, CheckpointKeyValidation.Missing)]
    [InlineData("Production", "0123456789012345678901234567890", false, "Consent:CheckpointKey must be at least 32 characters.")]
    [InlineData("Development", "short", false, "Consent:CheckpointKey must be at least 32 characters.")]
    [InlineData("Production", "01234567890123456789012345678901", true, null)]
    public void CheckpointKeyValidation_RequiresALongKeyOutsideDevelopment(string environment, string? key, bool succeeds, string? failure)
    {
        var result = new CheckpointKeyValidation(new TestEnvironment(environment)).Validate(null, new ConsentOptions { CheckpointKey = key });

        Assert.Equal(succeeds, result.Succeeded);
        Assert.Equal(failure, result.FailureMessage);
    }

    [Fact]
    public void CheckpointKeyValidation_NullOptions_Throws() =>
        Assert.Throws<ArgumentNullException>(() => new CheckpointKeyValidation(new TestEnvironment("Production")).Validate(null, null!));
}
