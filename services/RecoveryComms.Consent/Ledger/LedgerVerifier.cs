using System.Data;
using Npgsql;

namespace RecoveryComms.Consent.Ledger;

/// <summary>The head as <c>consent.ledger_head</c> records it.</summary>
public sealed record LedgerHeadView(long EventId, string Hash);

/// <summary>A number whose current state (what the send gate reads) is not the state its ledger rows give.</summary>
/// <param name="Phone">The number.</param>
/// <param name="Channel"><c>sms</c>, <c>voice</c>, or <c>all</c> for the number's flags.</param>
/// <param name="State">What <c>consent.consent_state</c> (or <c>consent.numbers</c> for flags) says; <c>unknown</c> when absent.</param>
/// <param name="LedgerState">What the ledger's newest row for it says; <c>unknown</c> when it has none.</param>
public sealed record StateMismatch(string Phone, string Channel, string State, string LedgerState);

/// <summary>A stored checkpoint that the ledger no longer matches, or whose signature does not hold.</summary>
public sealed record CheckpointFailure(long CheckpointId, long EventId, string Reason);

/// <summary>An auditor's checkpoint, checked against the key and the ledger.</summary>
/// <param name="EventId">The row it names.</param>
/// <param name="SignatureValid">Signed by this service's key for exactly this row and hash.</param>
/// <param name="Contained">The chain, intact from the first row, still has that row with that hash.</param>
public sealed record AuditorCheckpoint(long EventId, bool SignatureValid, bool Contained);

/// <summary>What <c>GET /api/consent/verify</c> found.</summary>
/// <param name="Ok">Nothing below is wrong.</param>
/// <param name="Events">Rows read.</param>
/// <param name="FirstBrokenEventId">The first row that no longer matches the chain (changed, or missing).</param>
/// <param name="Problems">What is wrong, in words.</param>
/// <param name="Head">The stored head.</param>
/// <param name="StateMismatches">Current states the ledger does not give (at most 1000 listed).</param>
/// <param name="CheckpointsChecked">Stored checkpoints checked.</param>
/// <param name="CheckpointsFailed">Stored checkpoints that fail.</param>
/// <param name="Checkpoint">The auditor's checkpoint, when one was given.</param>
public sealed record VerifyResult(
    bool Ok, long Events, long? FirstBrokenEventId, IReadOnlyList<string> Problems, LedgerHeadView Head, IReadOnlyList<StateMismatch> StateMismatches,
    int CheckpointsChecked, IReadOnlyList<CheckpointFailure> CheckpointsFailed, AuditorCheckpoint? Checkpoint);

/// <summary>An auditor's copy of a checkpoint.</summary>
public sealed record CheckpointClaim(long EventId, string Hash, string Signature);

/// <summary>
/// Recomputes the ledger and checks it against everything that can vouch for it: each row's hash over its
/// content; each row's link to the row before; the stored head (rows deleted from the end); every stored
/// checkpoint and an auditor's own copy (a rewritten, self-consistent history); and the current state of every
/// number (what the send gate decides from). All in one snapshot, so appends running meanwhile never look like
/// damage.
/// </summary>
public sealed class LedgerVerifier(NpgsqlDataSource dataSource, CheckpointSigner signer)
{
    private const int MaxMismatches = 1000;

    public async Task<VerifyResult> VerifyAsync(CheckpointClaim? claim, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var head = await ConsentStore.HeadAsync(c, tx, ct);
        var checkpoints = await CheckpointStore.ListAsync(c, tx, ct);

        // The hashes the chain gives at the rows checkpoints name (0: the empty ledger), while it is intact.
        var wanted = checkpoints.Select(k => k.EventId).Append(claim?.EventId ?? 0).ToHashSet();
        var intactHashes = new Dictionary<long, string> { [0] = ConsentLedger.Genesis };
        var problems = new List<string>();
        long? firstBroken = null;
        var count = 0L;
        var previous = ConsentLedger.Genesis;
        var lastId = 0L;
        var sawVersion2 = false;
        var ledgerStates = new Dictionary<(string Phone, string Channel), string>();
        var ledgerFlags = new Dictionary<string, Dictionary<string, bool>>(StringComparer.Ordinal);

        await foreach (var row in ConsentStore.EventsAsync(c, tx, ct))
        {
            count++;
            Replay(row, ledgerStates, ledgerFlags);
            if (firstBroken is not null)
            {
                continue;
            }

            firstBroken = Check(row, lastId, previous, sawVersion2, problems);
            if (firstBroken is null)
            {
                sawVersion2 |= row.CanonicalVersion >= 2;
                previous = row.Hash;
                lastId = row.Id;
                if (wanted.Contains(row.Id))
                {
                    intactHashes[row.Id] = row.Hash;
                }
            }
        }

        if (firstBroken is null)
        {
            firstBroken = CheckHead(head, lastId, previous, problems);
        }

        var mismatches = await StateMismatchesAsync(c, tx, ledgerStates, ledgerFlags, ct);
        if (mismatches.Count > 0)
        {
            problems.Add($"{mismatches.Count}{(mismatches.Count >= MaxMismatches ? "+" : "")} current states are not what the ledger gives.");
        }

        var failed = new List<CheckpointFailure>();
        foreach (var checkpoint in checkpoints)
        {
            var reason = checkpoint.KeyId != signer.KeyId ? $"signed with key {checkpoint.KeyId}, not the configured key {signer.KeyId}"
                : !signer.IsValid(checkpoint.EventId, checkpoint.Hash, checkpoint.Signature) ? "its signature does not hold"
                : !intactHashes.TryGetValue(checkpoint.EventId, out var hash) ? $"the intact chain does not reach event {checkpoint.EventId}"
                : hash != checkpoint.Hash ? $"event {checkpoint.EventId} no longer has the signed hash"
                : null;
            if (reason is not null)
            {
                failed.Add(new CheckpointFailure(checkpoint.Id, checkpoint.EventId, reason));
                problems.Add($"Checkpoint {checkpoint.Id} (event {checkpoint.EventId}) fails: {reason}.");
            }
        }

        AuditorCheckpoint? auditor = null;
        if (claim is not null)
        {
            auditor = new AuditorCheckpoint(claim.EventId, signer.IsValid(claim.EventId, claim.Hash, claim.Signature),
                intactHashes.TryGetValue(claim.EventId, out var hash) && string.Equals(hash, claim.Hash, StringComparison.Ordinal));
            if (!auditor.SignatureValid)
            {
                problems.Add("The checkpoint given was not signed by this service's key for that event and hash.");
            }

            if (!auditor.Contained)
            {
                problems.Add($"The ledger no longer contains event {claim.EventId} with the checkpoint's hash: a row up to it was changed or removed.");
            }
        }

        await tx.CommitAsync(ct);
        var ok = firstBroken is null && mismatches.Count == 0 && failed.Count == 0 && auditor is null or { SignatureValid: true, Contained: true };
        return new VerifyResult(ok, count, firstBroken, problems, head, mismatches, checkpoints.Count, failed, auditor);
    }

    /// <summary>The first broken row, or null: ids without gaps, each hash over its content, each linked to the row before.</summary>
    internal static long? Check(ConsentEvent row, long lastId, string previous, bool sawVersion2, List<string> problems)
    {
        if (row.Id != lastId + 1)
        {
            problems.Add($"Event {lastId + 1} is missing (the next row is {row.Id}).");
            return lastId + 1;
        }

        if (row.CanonicalVersion is not (1 or 2) || (sawVersion2 && row.CanonicalVersion < 2))
        {
            problems.Add($"Event {row.Id} claims canonical version {row.CanonicalVersion} after version 2 rows (or an unknown one).");
            return row.Id;
        }

        var ownHashHolds = ConsentLedger.HashOf(row) == row.Hash;
        if (row.PrevHash != previous)
        {
            // Note: when this row still hashes correctly over the previous hash it recorded, it is the row before
            // that changed since (rewritten with a recomputed hash of its own), so that is the row to name.
            if (ownHashHolds && row.Id > 1)
            {
                problems.Add($"Event {row.Id - 1} no longer has the hash event {row.Id} recorded for it: event {row.Id - 1} was changed.");
                return row.Id - 1;
            }

            problems.Add($"Event {row.Id} does not follow the row before it (its previous hash differs).");
            return row.Id;
        }

        if (!ownHashHolds)
        {
            problems.Add($"Event {row.Id} was changed: its hash does not match its content.");
            return row.Id;
        }

        return null;
    }

    /// <summary>The chain must end exactly at the stored head: rows deleted from the end, or added behind it, show here.</summary>
    internal static long? CheckHead(LedgerHeadView head, long lastId, string lastHash, List<string> problems)
    {
        if (lastId < head.EventId)
        {
            problems.Add($"The ledger ends at event {lastId} but its head records event {head.EventId}: events {lastId + 1} to {head.EventId} were removed.");
            return lastId + 1;
        }

        if (lastId > head.EventId)
        {
            problems.Add($"The ledger runs to event {lastId} but its head records event {head.EventId}: the head was moved back, or rows were added behind it.");
            return head.EventId + 1;
        }

        if (lastHash != head.Hash)
        {
            problems.Add($"Event {lastId}'s hash is not the one the head records.");
            return lastId;
        }

        return null;
    }

    /// <summary>The ledger's answer for a number: the newest row per channel; flags from the <c>all</c> rows.</summary>
    private static void Replay(ConsentEvent row, Dictionary<(string, string), string> states, Dictionary<string, Dictionary<string, bool>> flags)
    {
        if (row.Channel == NumberFlagChanges.Channel)
        {
            if (NumberFlagChanges.TryParse(row.NewState, out var flag, out var value))
            {
                if (!flags.TryGetValue(row.Phone, out var of))
                {
                    flags[row.Phone] = of = new Dictionary<string, bool>(StringComparer.Ordinal);
                }

                of[flag] = value;
            }

            return;
        }

        states[(row.Phone, row.Channel)] = row.NewState;
    }

    private static async Task<List<StateMismatch>> StateMismatchesAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, Dictionary<(string Phone, string Channel), string> ledger, Dictionary<string, Dictionary<string, bool>> ledgerFlags,
        CancellationToken ct)
    {
        var mismatches = new List<StateMismatch>();
        var seen = new HashSet<(string, string)>();
        foreach (var row in await ConsentStore.AllStatesAsync(c, tx, ct))
        {
            seen.Add((row.Phone, row.Channel));
            var given = ledger.GetValueOrDefault((row.Phone, row.Channel), ConsentStates.Unknown);
            if (given != row.State && mismatches.Count < MaxMismatches)
            {
                mismatches.Add(new StateMismatch(row.Phone, row.Channel, row.State, given));
            }
        }

        foreach (var ((phone, channel), state) in ledger)
        {
            if (!seen.Contains((phone, channel)) && mismatches.Count < MaxMismatches)
            {
                mismatches.Add(new StateMismatch(phone, channel, ConsentStates.Unknown, state));
            }
        }

        foreach (var row in await ConsentStore.AllFlagsAsync(c, tx, ct))
        {
            var given = ledgerFlags.GetValueOrDefault(row.Phone);
            foreach (var (flag, value) in new[] { (NumberFlagChanges.WrongNumber, row.WrongNumber), (NumberFlagChanges.Spam, row.Spam) })
            {
                var ledgerValue = given?.GetValueOrDefault(flag) ?? false;
                if (ledgerValue != value && mismatches.Count < MaxMismatches)
                {
                    mismatches.Add(new StateMismatch(row.Phone, NumberFlagChanges.Channel, NumberFlagChanges.Format(flag, value), NumberFlagChanges.Format(flag, ledgerValue)));
                }
            }
        }

        return mismatches;
    }
}
