using RecoveryComms.Consent.Ledger;

namespace RecoveryComms.Rules.Tests.Ledger;

/// <summary>
/// The ledger's row hash: SHA-256 over the previous hash and the row's canonical content. The expected hashes were
/// computed outside .NET from the documented canonical forms (Python's hashlib), so a change to a canonical form,
/// which would break the verification of every stored row, fails here.
/// </summary>
public sealed class ConsentLedgerTests
{
    private static readonly string Previous = string.Concat(Enumerable.Repeat("ab", 32));

    internal static ConsentEvent Row(int version = 2) => new(
        Id: 42, Phone: "+13125550101", Channel: "sms", OldState: "unknown", NewState: "opted_out", Source: "keyword", SourceRef: "SM123",
        Actor: "customer", Evidence: "STOP — arrêt", NeedsReview: false,
        OccurredAt: new DateTime(2026, 3, 3, 16, 4, 5, DateTimeKind.Utc).AddTicks(1_234_560), PrevHash: Previous, Hash: "", CanonicalVersion: version);

    [Fact]
    public void HashOf_Version2_IsTheLengthPrefixedCanonicalForm() =>
        Assert.Equal("06433d7b2685d1d733bf8abd115b556a7babf3aa84d3a6b7a4a3020d351c0722", ConsentLedger.HashOf(Row()));

    [Fact]
    public void HashOf_Version2_WritesNullAsADashAndTheFlagAsOne() =>
        Assert.Equal("973a8aa63d0ec897a79fcff5e88c8f003ada09963a60b35497a21856ec8dd997", ConsentLedger.HashOf(Row() with { SourceRef = null, NeedsReview = true }));

    [Fact]
    public void HashOf_Version1_IsTheUnitSeparatedForm() =>
        Assert.Equal("2231423acbe67358b530afb3dd5d939394945d4e390f38f3da703339e39a052d", ConsentLedger.HashOf(Row(version: 1)));

    [Fact]
    public void HashOf_Version1_WritesTheFlagAsOne() =>
        Assert.Equal("5176fc24c977d6604372fe1060027e2c7e8b2b23571eada15e0f47a8f28c41e8", ConsentLedger.HashOf(Row(version: 1) with { NeedsReview = true }));

    [Fact]
    public void HashOf_IgnoresTheStoredHashAndTheKindOfTheTime()
    {
        var row = Row();

        Assert.Equal(ConsentLedger.HashOf(row), ConsentLedger.HashOf(row with { Hash = "anything" }));
        Assert.Equal(ConsentLedger.HashOf(row), ConsentLedger.HashOf(row with { OccurredAt = DateTime.SpecifyKind(row.OccurredAt, DateTimeKind.Unspecified) }));
        Assert.Equal(ConsentLedger.HashOf(row), ConsentLedger.HashOf(row with { OccurredAt = DateTime.SpecifyKind(row.OccurredAt, DateTimeKind.Local) }));
    }

    public static TheoryData<string, Func<ConsentEvent, ConsentEvent>> Changes => new()
    {
        { "previous hash", r => r with { PrevHash = ConsentLedger.Genesis } },
        { "id", r => r with { Id = 43 } },
        { "phone", r => r with { Phone = "+13125550102" } },
        { "channel", r => r with { Channel = "voice" } },
        { "old state", r => r with { OldState = "express" } },
        { "new state", r => r with { NewState = "express" } },
        { "source", r => r with { Source = "api" } },
        { "source ref", r => r with { SourceRef = "SM124" } },
        { "actor", r => r with { Actor = "staff" } },
        { "evidence", r => r with { Evidence = "STOP" } },
        { "review flag", r => r with { NeedsReview = true } },
        { "a microsecond", r => r with { OccurredAt = r.OccurredAt.AddTicks(10) } },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void HashOf_AnyFieldChanged_ChangesTheHashInBothVersions(string field, Func<ConsentEvent, ConsentEvent> change)
    {
        Assert.NotEmpty(field);
        Assert.NotEqual(ConsentLedger.HashOf(Row()), ConsentLedger.HashOf(change(Row())));
        Assert.NotEqual(ConsentLedger.HashOf(Row(version: 1)), ConsentLedger.HashOf(change(Row(version: 1))));
    }

    [Fact]
    public void HashOf_TheSameRowInTheOtherVersion_HashesDifferently() =>
        Assert.NotEqual(ConsentLedger.HashOf(Row(version: 1)), ConsentLedger.HashOf(Row(version: 2)));

    [Fact]
    public void HashOf_Version2_TextCannotMoveBetweenFields_AndNullIsNotEmpty()
    {
        var row = Row();

        Assert.NotEqual(ConsentLedger.HashOf(row with { Source = "ab", SourceRef = "c" }), ConsentLedger.HashOf(row with { Source = "a", SourceRef = "bc" }));
        Assert.NotEqual(
            ConsentLedger.HashOf(row with { Source = "a\u001fb", SourceRef = "c" }), ConsentLedger.HashOf(row with { Source = "a", SourceRef = "b\u001fc" }));
        Assert.NotEqual(ConsentLedger.HashOf(row with { SourceRef = null }), ConsentLedger.HashOf(row with { SourceRef = "" }));
    }

    [Fact]
    public void HashOf_Version1_KeepsItsKnownWeaknesses_SoOldRowsStillVerify()
    {
        var row = Row(version: 1);

        // Why version 2 exists: in version 1 a separator inside a field, and null against "", hash alike.
        Assert.Equal(
            ConsentLedger.HashOf(row with { Source = "a\u001fb", SourceRef = "c" }), ConsentLedger.HashOf(row with { Source = "a", SourceRef = "b\u001fc" }));
        Assert.Equal(ConsentLedger.HashOf(row with { SourceRef = null }), ConsentLedger.HashOf(row with { SourceRef = "" }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void HashOf_UnknownCanonicalVersion_Throws(int version)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>("row", () => ConsentLedger.HashOf(Row() with { CanonicalVersion = version }));

        Assert.Equal(version, error.ActualValue);
        Assert.StartsWith("unknown canonical version", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HashOf_Null_Throws() => Assert.Throws<ArgumentNullException>(() => ConsentLedger.HashOf(null!));

    [Fact]
    public void Genesis_IsSixtyFourZeros_AndNewRowsUseVersion2()
    {
        Assert.Equal(new string('0', 64), ConsentLedger.Genesis);
        Assert.Equal(2, ConsentLedger.CurrentVersion);
    }
}
