using RecoveryComms.Consent.Ledger;

namespace RecoveryComms.Rules.Tests.Ledger;

/// <summary>
/// The chain checks the verifier and the checkpoint writer run over every row: ids without gaps, a known canonical
/// version that never goes back to 1, each row linked to the one before and hashing over its own content, and the
/// chain ending exactly at the stored head. Which row each damage names, and the words it uses.
/// </summary>
public sealed class LedgerVerifierTests
{
    /// <summary>Rows 1..n chained from the genesis hash, as the ledger appends them.</summary>
    private static List<ConsentEvent> Chain(int count, int version = 2)
    {
        var rows = new List<ConsentEvent>();
        var previous = ConsentLedger.Genesis;
        for (var id = 1; id <= count; id++)
        {
            var row = ConsentLedgerTests.Row(version) with { Id = id, PrevHash = previous };
            row = row with { Hash = ConsentLedger.HashOf(row) };
            rows.Add(row);
            previous = row.Hash;
        }

        return rows;
    }

    private static ConsentEvent Rehashed(ConsentEvent row) => row with { Hash = ConsentLedger.HashOf(row) };

    /// <summary>Checks the rows in order as the verifier does; the first broken row and the problems.</summary>
    private static (long? FirstBroken, List<string> Problems) Walk(IEnumerable<ConsentEvent> rows)
    {
        var problems = new List<string>();
        var (lastId, previous, sawVersion2) = (0L, ConsentLedger.Genesis, false);
        foreach (var row in rows)
        {
            if (LedgerVerifier.Check(row, lastId, previous, sawVersion2, problems) is { } broken)
            {
                return (broken, problems);
            }

            (lastId, previous, sawVersion2) = (row.Id, row.Hash, sawVersion2 || row.CanonicalVersion >= 2);
        }

        return (null, problems);
    }

    [Fact]
    public void Check_AnIntactChain_BreaksNowhere()
    {
        var (firstBroken, problems) = Walk(Chain(3));

        Assert.Null(firstBroken);
        Assert.Empty(problems);
    }

    [Fact]
    public void Check_Version1RowsThenVersion2Rows_IsIntact()
    {
        var rows = Chain(2, version: 1);
        var third = Rehashed(ConsentLedgerTests.Row(2) with { Id = 3, PrevHash = rows[^1].Hash });

        var (firstBroken, problems) = Walk([.. rows, third]);

        Assert.Null(firstBroken);
        Assert.Empty(problems);
    }

    public static TheoryData<string, Func<List<ConsentEvent>, List<ConsentEvent>>, long, string> Damage => new()
    {
        // scenario, what was done to a chain of 3 (version 2), the row named, the problem
        { "row 2 deleted", rows => [rows[0], rows[2]], 2, "Event 2 is missing (the next row is 3)." },
        { "row 1 deleted", rows => [rows[1], rows[2]], 1, "Event 1 is missing (the next row is 2)." },
        { "a row's content changed", rows => [rows[0], rows[1] with { Evidence = "START" }, rows[2]], 2, "Event 2 was changed: its hash does not match its content." },
        {
            "a row rewritten with a recomputed hash: the next row names it", rows => [rows[0], Rehashed(rows[1] with { Evidence = "START" }), rows[2]],
            2, "Event 2 no longer has the hash event 3 recorded for it: event 2 was changed."
        },
        {
            "the first row relinked and rehashed", rows => [Rehashed(rows[0] with { PrevHash = new string('1', 64) }), rows[1], rows[2]],
            1, "Event 1 does not follow the row before it (its previous hash differs)."
        },
        {
            "a row relinked without a valid hash", rows => [rows[0], rows[1] with { PrevHash = new string('1', 64) }, rows[2]],
            2, "Event 2 does not follow the row before it (its previous hash differs)."
        },
        {
            "a version 1 row after version 2 rows", rows => [rows[0], Rehashed(rows[1] with { CanonicalVersion = 1 }), rows[2]],
            2, "Event 2 claims canonical version 1 after version 2 rows (or an unknown one)."
        },
        {
            "an unknown canonical version", rows => [rows[0], rows[1] with { CanonicalVersion = 3 }, rows[2]],
            2, "Event 2 claims canonical version 3 after version 2 rows (or an unknown one)."
        },
        {
            "version 0 on the first row", rows => [rows[0] with { CanonicalVersion = 0 }, rows[1], rows[2]],
            1, "Event 1 claims canonical version 0 after version 2 rows (or an unknown one)."
        },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void Check_DamagedChain_NamesTheFirstBrokenRow(string scenario, Func<List<ConsentEvent>, List<ConsentEvent>> damage, long broken, string problem)
    {
        Assert.NotEmpty(scenario);

        var (firstBroken, problems) = Walk(damage(Chain(3)));

        Assert.Equal(broken, firstBroken);
        Assert.Equal([problem], problems);
    }

    [Fact]
    public void Check_AnIntactRow_AddsNoProblem()
    {
        var problems = new List<string> { "earlier" };
        var row = Chain(1)[0];

        Assert.Null(LedgerVerifier.Check(row, 0, ConsentLedger.Genesis, sawVersion2: true, problems));
        Assert.Equal(["earlier"], problems);
    }

    public static TheoryData<long, string, long, string, long?, string?> Heads => new()
    {
        // head id, head hash, last id, last hash, the row named, the problem
        { 0, ConsentLedger.Genesis, 0, ConsentLedger.Genesis, null, null },
        { 5, "h5", 5, "h5", null, null },
        { 5, "h5", 3, "h3", 4, "The ledger ends at event 3 but its head records event 5: events 4 to 5 were removed." },
        { 3, "h3", 5, "h5", 4, "The ledger runs to event 5 but its head records event 3: the head was moved back, or rows were added behind it." },
        { 5, "h5", 5, "other", 5, "Event 5's hash is not the one the head records." },
        { 1, "h1", 0, ConsentLedger.Genesis, 1, "The ledger ends at event 0 but its head records event 1: events 1 to 1 were removed." },
    };

    [Theory]
    [MemberData(nameof(Heads))]
    public void CheckHead_TheChainMustEndAtTheHead(long headId, string headHash, long lastId, string lastHash, long? broken, string? problem)
    {
        var problems = new List<string>();

        Assert.Equal(broken, LedgerVerifier.CheckHead(new LedgerHeadView(headId, headHash), lastId, lastHash, problems));
        Assert.Equal(problem is null ? [] : [problem], problems);
    }
}
