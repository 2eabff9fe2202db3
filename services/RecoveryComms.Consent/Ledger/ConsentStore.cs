using Dapper;
using Npgsql;
using RecoveryComms.Contracts;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Hosting.Messaging;

namespace RecoveryComms.Consent.Ledger;

public static class ConsentStates
{
    public const string Unknown = "unknown";
    public const string Express = "express";
    public const string Implied = "implied";
    public const string OptedOut = "opted_out";
    public const string DoNotContact = "do_not_contact";

    public static readonly IReadOnlySet<string> Settable = new HashSet<string>(StringComparer.Ordinal) { Express, Implied, OptedOut, DoNotContact };
}

public sealed record ChannelState(string Channel, string State, DateTime UpdatedAt);

public sealed record NumberFlags(bool WrongNumber, bool Spam);

/// <summary>
/// The outcome of a change: the state before it, and the ledger row (null when nothing was written). For a
/// duplicate (the same source and reference seen before) the state before is the one the first copy found, so
/// every path that delivers one message reaches the same answer whichever of them recorded it.
/// </summary>
/// <param name="OldState">The state before.</param>
/// <param name="EventId">The ledger row written, if any.</param>
/// <param name="Duplicate">The same source and reference were recorded before; nothing was written.</param>
/// <param name="Stale">
/// The change happened before the current state was set: it is kept in the ledger as evidence, but the state
/// stays as it is (an older START delivered after a newer STOP must not opt the number back in).
/// </param>
public sealed record ChangeResult(string OldState, long? EventId, bool Duplicate, bool Stale = false);

/// <summary>
/// Current consent (<c>consent.consent_state</c>) and its changes. Every change locks the number's row in
/// <c>consent.numbers</c> first: the same lock the SMS send gate holds while it sends.
/// </summary>
public sealed class ConsentStore(NpgsqlDataSource dataSource, Outbox outbox)
{
    private const string EnsureNumberSql = "INSERT INTO consent.numbers (phone) VALUES (@Phone) ON CONFLICT (phone) DO NOTHING";
    private const string LockNumberSql = "SELECT wrong_number AS WrongNumber, spam FROM consent.numbers WHERE phone = @Phone FOR UPDATE";
    private const string ShareNumberSql = "SELECT wrong_number AS WrongNumber, spam FROM consent.numbers WHERE phone = @Phone FOR SHARE";
    private const string StateSql = "SELECT state FROM consent.consent_state WHERE phone = @Phone AND channel = @Channel";
    private const string CurrentSql = "SELECT state, updated_at AS UpdatedAt FROM consent.consent_state WHERE phone = @Phone AND channel = @Channel";
    private const string StatesSql = "SELECT channel, state, updated_at AS UpdatedAt FROM consent.consent_state WHERE phone = @Phone ORDER BY channel";
    private const string SeenSql = "SELECT old_state FROM consent.consent_events WHERE source = @Source AND source_ref = @SourceRef AND channel = @Channel";

    private const string UpsertStateSql = """
        INSERT INTO consent.consent_state (phone, channel, state, last_event_id, updated_at)
        VALUES (@Phone, @Channel, @State, @EventId, @At)
        ON CONFLICT (phone, channel) DO UPDATE SET state = EXCLUDED.state, last_event_id = EXCLUDED.last_event_id, updated_at = EXCLUDED.updated_at
        """;

    /// <summary>Locks the number for the rest of the transaction (creating its row if new); returns its flags.</summary>
    public static async Task<NumberFlags> LockAsync(NpgsqlConnection c, NpgsqlTransaction tx, string phone, bool exclusive, CancellationToken ct)
    {
        await c.ExecuteAsync(new CommandDefinition(EnsureNumberSql, new { Phone = phone }, tx, cancellationToken: ct));
        return await c.QuerySingleAsync<NumberFlags>(new CommandDefinition(exclusive ? LockNumberSql : ShareNumberSql, new { Phone = phone }, tx, cancellationToken: ct));
    }

    public static async Task<string> StateAsync(NpgsqlConnection c, NpgsqlTransaction? tx, string phone, string channel, CancellationToken ct) =>
        await c.QuerySingleOrDefaultAsync<string>(new CommandDefinition(StateSql, new { Phone = phone, Channel = channel }, tx, cancellationToken: ct))
        ?? ConsentStates.Unknown;

    public async Task<IReadOnlyList<ChannelState>> StatesAsync(string phone, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return (await c.QueryAsync<ChannelState>(new CommandDefinition(StatesSql, new { Phone = phone }, cancellationToken: ct))).AsList();
    }

    /// <summary>Records a change in its own transaction.</summary>
    public async Task<ChangeResult> ChangeAsync(ConsentChange change, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var result = await ChangeAsync(c, tx, change, ct);
        await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>Records a change in the caller's transaction.</summary>
    public async Task<ChangeResult> ChangeAsync(NpgsqlConnection c, NpgsqlTransaction tx, ConsentChange change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        var (phone, channel, newState, source, sourceRef, actor, evidence, at) = change;
        await LockAsync(c, tx, phone, exclusive: true, ct);
        var current = await c.QuerySingleOrDefaultAsync<CurrentState>(new CommandDefinition(CurrentSql, new { Phone = phone, Channel = channel }, tx, cancellationToken: ct));
        var old = current?.State ?? ConsentStates.Unknown;
        if (sourceRef is not null
            && await c.QuerySingleOrDefaultAsync<string>(new CommandDefinition(SeenSql, new { Source = source, SourceRef = sourceRef, Channel = channel }, tx, cancellationToken: ct))
                is { } firstOld)
        {
            return new ChangeResult(firstOld, null, Duplicate: true);
        }

        if (change.OnlyIfUnknown && old != ConsentStates.Unknown)
        {
            return new ChangeResult(old, null, Duplicate: false);
        }

        // Note: changes arrive out of order (STOP synchronously, START through the outbox, a relay batch published
        // in parallel, redeliveries). The newer change wins: by its own time (Twilio's timestamp), and at equal
        // times by ledger order (the one recorded later). An older change is written to the ledger as evidence
        // with the state unchanged (old = new), so the ledger still gives the current state row by row.
        if (current is not null && at.UtcDateTime < current.UpdatedAt)
        {
            var staleId = await ConsentLedger.AppendAsync(c, tx, new LedgerEntry(phone, channel, old, old, source, sourceRef, actor,
                $"{evidence} [not applied: asked {newState} at {at.UtcDateTime:O}, before the current {old} of {current.UpdatedAt:O}]", change.NeedsReview, at), ct);
            return new ChangeResult(old, staleId, Duplicate: false, Stale: true);
        }

        // Note: a repeated STOP from an opted-out number is still written: each is evidence of the customer's wish.
        var id = await ConsentLedger.AppendAsync(c, tx,
            new LedgerEntry(phone, channel, old, newState, source, sourceRef, actor, evidence, change.NeedsReview, at), ct);
        await c.ExecuteAsync(new CommandDefinition(UpsertStateSql, new { Phone = phone, Channel = channel, State = newState, EventId = id, At = at }, tx, cancellationToken: ct));
        await outbox.EnqueueAsync(c, tx, new ConsentChanged(CorrelationIds.For(phone), id, phone, channel, old, newState, source, at), ct);
        return new ChangeResult(old, id, Duplicate: false);
    }

    private sealed record CurrentState(string State, DateTime UpdatedAt);

    /// <summary>
    /// Sets or clears a number's wrong-number and spam flags (a flag suppresses every channel). Each flag that
    /// actually changes is a ledger row on channel <c>all</c> with the actor, in the same transaction as the change.
    /// A request seen before (the same source and reference) changes nothing.
    /// </summary>
    /// <returns>The ledger rows written.</returns>
    public async Task<IReadOnlyList<long>> FlagAsync(NumberFlagChange change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var current = await LockAsync(c, tx, change.Phone, exclusive: true, ct);
        var written = new List<long>();
        foreach (var (flag, wanted, now) in new[]
        {
            (NumberFlagChanges.WrongNumber, change.WrongNumber, current.WrongNumber),
            (NumberFlagChanges.Spam, change.Spam, current.Spam),
        })
        {
            if (wanted is not { } value || value == now)
            {
                continue;
            }

            var sourceRef = change.SourceRef is null ? null : $"{change.SourceRef}:{flag}";
            if (sourceRef is not null && await c.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                SeenSql, new { change.Source, SourceRef = sourceRef, Channel = NumberFlagChanges.Channel }, tx, cancellationToken: ct)) is not null)
            {
                continue;
            }

            written.Add(await ConsentLedger.AppendAsync(c, tx, new LedgerEntry(change.Phone, NumberFlagChanges.Channel,
                NumberFlagChanges.Format(flag, now), NumberFlagChanges.Format(flag, value), change.Source, sourceRef, change.Actor, change.Evidence, false, change.OccurredAt), ct));
        }

        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE consent.numbers SET wrong_number = COALESCE(@WrongNumber, wrong_number), spam = COALESCE(@Spam, spam) WHERE phone = @Phone",
            new { change.Phone, change.WrongNumber, change.Spam }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return written;
    }
}

/// <summary>A consent change to record (<see cref="ConsentStore.ChangeAsync(ConsentChange, CancellationToken)"/>).</summary>
/// <param name="Phone">E.164 (or the raw value for a number that does not parse).</param>
/// <param name="Channel"><c>sms</c> or <c>voice</c>.</param>
/// <param name="NewState">One of <see cref="ConsentStates.Settable"/>.</param>
/// <param name="Source"><c>keyword</c>, <c>twilio-opt-out</c>, <c>carrier-error</c>, <c>inbound-call</c>, <c>csr-disposition</c> or <c>api</c>.</param>
/// <param name="SourceRef">The MessageSid, CallSid or disposition id: the same source and reference are recorded once.</param>
/// <param name="Actor">Who: <c>customer</c>, <c>twilio</c>, or "name (user id)".</param>
/// <param name="Evidence">What was said or signed.</param>
/// <param name="OccurredAt">When it happened (Twilio's timestamp when there is one): a change older than the current state is kept as evidence, not applied.</param>
public sealed record ConsentChange(
    string Phone, string Channel, string NewState, string Source, string? SourceRef, string Actor, string Evidence, DateTimeOffset OccurredAt)
{
    /// <summary>A text that was not a keyword but plainly asked to stop: flagged for a person to read.</summary>
    public bool NeedsReview { get; init; }

    /// <summary>Applied only where no state exists yet: implied consent never overrides an opt-out or express consent.</summary>
    public bool OnlyIfUnknown { get; init; }
}

/// <summary>A change to a number's flags; a null flag is left as it is.</summary>
/// <param name="Phone">E.164.</param>
/// <param name="WrongNumber">Set (true) or clear (false) the wrong-number flag.</param>
/// <param name="Spam">Set (true) or clear (false) the spam flag.</param>
/// <param name="Source"><c>api</c> or <c>csr-disposition</c>.</param>
/// <param name="SourceRef">The disposition's id, when it came from one (makes a redelivery harmless).</param>
/// <param name="Actor">Who: "name (user id)".</param>
/// <param name="Evidence">Why, in the actor's words.</param>
/// <param name="OccurredAt">When.</param>
public sealed record NumberFlagChange(
    string Phone, bool? WrongNumber, bool? Spam, string Source, string? SourceRef, string Actor, string Evidence, DateTimeOffset OccurredAt);
