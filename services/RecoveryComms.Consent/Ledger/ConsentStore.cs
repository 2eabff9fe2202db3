using System.Runtime.CompilerServices;
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

/// <summary>One row of <c>consent.consent_state</c>, as the ledger's verification reads it.</summary>
public sealed record StateRow(string Phone, string Channel, string State);

/// <summary>One row of <c>consent.numbers</c>, as the ledger's verification reads it.</summary>
public sealed record FlagRow(string Phone, bool WrongNumber, bool Spam);

/// <summary>What the suppression policy decides from, read in one statement.</summary>
/// <param name="Sms">The SMS state; null when none is recorded.</param>
/// <param name="Voice">The voice state; null when none is recorded.</param>
/// <param name="WrongNumber">The number is flagged as a wrong number.</param>
/// <param name="Spam">The number is flagged as spam.</param>
/// <param name="AccountZone">The time zone of the number's account, when it has one and the account names one.</param>
public sealed record SuppressionFacts(string? Sms, string? Voice, bool WrongNumber, bool Spam, string? AccountZone);

/// <summary>Which ledger rows a compliance query asks for; a null field does not filter.</summary>
/// <param name="Phone">E.164.</param>
/// <param name="From">Rows that occurred at or after it.</param>
/// <param name="To">Rows that occurred before it.</param>
/// <param name="Type">The new state, one of <see cref="ConsentStates.Settable"/>.</param>
public sealed record EventFilter(string? Phone, DateTimeOffset? From, DateTimeOffset? To, string? Type);

/// <summary>
/// Owns <c>consent.numbers</c>, <c>consent.consent_state</c>, <c>consent.consent_events</c> and <c>consent.ledger_head</c>:
/// the only class that writes them and the only SQL on them (the hash chain's rule is <see cref="ConsentLedger"/>). It
/// also reads <c>consent.accounts</c> and <c>consent.account_phones</c> (an account's zone, for the suppression facts),
/// which <see cref="Identity.AccountStore"/> writes. Every change locks the number's row in <c>consent.numbers</c>
/// first: the same lock the SMS send gate holds while it sends.
/// </summary>
public sealed class ConsentStore(NpgsqlDataSource dataSource, Outbox outbox)
{
    private const string EnsureNumberSql = "INSERT INTO consent.numbers (phone) VALUES (@Phone) ON CONFLICT (phone) DO NOTHING";
    private const string LockNumberSql = "SELECT wrong_number AS WrongNumber, spam FROM consent.numbers WHERE phone = @Phone FOR UPDATE";
    private const string ShareNumberSql = "SELECT wrong_number AS WrongNumber, spam FROM consent.numbers WHERE phone = @Phone FOR SHARE";
    private const string FlagsSql = "SELECT wrong_number AS WrongNumber, spam FROM consent.numbers WHERE phone = @Phone";
    private const string SetFlagsSql = "UPDATE consent.numbers SET wrong_number = COALESCE(@WrongNumber, wrong_number), spam = COALESCE(@Spam, spam) WHERE phone = @Phone";
    private const string AllFlagsSql = "SELECT phone, wrong_number AS WrongNumber, spam FROM consent.numbers";
    private const string StateSql = "SELECT state FROM consent.consent_state WHERE phone = @Phone AND channel = @Channel";
    private const string CurrentSql = "SELECT state, updated_at AS UpdatedAt FROM consent.consent_state WHERE phone = @Phone AND channel = @Channel";
    private const string StatesSql = "SELECT channel, state, updated_at AS UpdatedAt FROM consent.consent_state WHERE phone = @Phone ORDER BY channel";
    private const string AllStatesSql = "SELECT phone, channel, state FROM consent.consent_state";
    private const string SeenSql = "SELECT old_state FROM consent.consent_events WHERE source = @Source AND source_ref = @SourceRef AND channel = @Channel";

    private const string UpsertStateSql = """
        INSERT INTO consent.consent_state (phone, channel, state, last_event_id, updated_at)
        VALUES (@Phone, @Channel, @State, @EventId, @At)
        ON CONFLICT (phone, channel) DO UPDATE SET state = EXCLUDED.state, last_event_id = EXCLUDED.last_event_id, updated_at = EXCLUDED.updated_at
        """;

    private const string SuppressionFactsSql = """
        SELECT (SELECT state FROM consent.consent_state WHERE phone = @Phone AND channel = 'sms') AS Sms,
               (SELECT state FROM consent.consent_state WHERE phone = @Phone AND channel = 'voice') AS Voice,
               COALESCE((SELECT wrong_number FROM consent.numbers WHERE phone = @Phone), false) AS WrongNumber,
               COALESCE((SELECT spam FROM consent.numbers WHERE phone = @Phone), false) AS Spam,
               (SELECT a.time_zone FROM consent.account_phones p JOIN consent.accounts a ON a.id = p.account_id WHERE p.phone = @Phone) AS AccountZone
        """;

    private const string LockHeadSql = "SELECT last_id, last_hash FROM consent.ledger_head WHERE id = 1 FOR UPDATE";
    private const string HeadSql = "SELECT last_id AS EventId, last_hash AS Hash FROM consent.ledger_head WHERE id = 1";
    private const string MoveHeadSql = "UPDATE consent.ledger_head SET last_id = @Id, last_hash = @Hash WHERE id = 1";

    private const string InsertEventSql = """
        INSERT INTO consent.consent_events
            (id, phone, channel, old_state, new_state, source, source_ref, actor, evidence, needs_review, occurred_at, prev_hash, hash, canonical_version)
        VALUES (@Id, @Phone, @Channel, @OldState, @NewState, @Source, @SourceRef, @Actor, @Evidence, @NeedsReview, @OccurredAt, @PrevHash, @Hash, @CanonicalVersion)
        """;

    private const string EventSql = $"SELECT {ConsentLedger.SelectColumns} FROM consent.consent_events WHERE id = @Id";
    private const string HistorySql = $"SELECT {ConsentLedger.SelectColumns} FROM consent.consent_events WHERE phone = @Phone ORDER BY id";
    private const string AllEventsSql = $"SELECT {ConsentLedger.SelectColumns} FROM consent.consent_events ORDER BY id";

    // Note: no upper bound at the head: a row behind the head is itself a break (LedgerVerifier.CheckHead names it).
    private const string EventsAfterSql = $"SELECT {ConsentLedger.SelectColumns} FROM consent.consent_events WHERE id > @From ORDER BY id";

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
        return await StatesAsync(c, phone, ct);
    }

    private static async Task<IReadOnlyList<ChannelState>> StatesAsync(NpgsqlConnection c, string phone, CancellationToken ct) =>
        (await c.QueryAsync<ChannelState>(new CommandDefinition(StatesSql, new { Phone = phone }, cancellationToken: ct))).AsList();

    /// <summary>A number's consent as compliance sees it: each channel's state, its flags and every ledger row of it.</summary>
    public async Task<ConsentView> ViewAsync(string phone, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var flags = await c.QuerySingleOrDefaultAsync<NumberFlags>(new CommandDefinition(FlagsSql, new { Phone = phone }, cancellationToken: ct))
            ?? new NumberFlags(false, false);
        var history = (await c.QueryAsync<ConsentEvent>(new CommandDefinition(HistorySql, new { Phone = phone }, cancellationToken: ct))).AsList();
        return new ConsentView(phone, await StatesAsync(c, phone, ct), flags, history);
    }

    /// <summary>What the suppression policy decides from, on the caller's connection (the send gate's transaction, with the number locked).</summary>
    public static Task<SuppressionFacts> SuppressionFactsAsync(NpgsqlConnection c, NpgsqlTransaction? tx, string phone, CancellationToken ct) =>
        c.QuerySingleAsync<SuppressionFacts>(new CommandDefinition(SuppressionFactsSql, new { Phone = phone }, tx, cancellationToken: ct));

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
            var staleId = await AppendAsync(c, tx, new LedgerEntry(phone, channel, old, old, source, sourceRef, actor,
                $"{evidence} [not applied: asked {newState} at {at.UtcDateTime:O}, before the current {old} of {current.UpdatedAt:O}]", change.NeedsReview, at), ct);
            return new ChangeResult(old, staleId, Duplicate: false, Stale: true);
        }

        // Note: a repeated STOP from an opted-out number is still written: each is evidence of the customer's wish.
        var id = await AppendAsync(c, tx,
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

            written.Add(await AppendAsync(c, tx, new LedgerEntry(change.Phone, NumberFlagChanges.Channel,
                NumberFlagChanges.Format(flag, now), NumberFlagChanges.Format(flag, value), change.Source, sourceRef, change.Actor, change.Evidence, false, change.OccurredAt), ct));
        }

        await c.ExecuteAsync(new CommandDefinition(SetFlagsSql, new { change.Phone, change.WrongNumber, change.Spam }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return written;
    }

    /// <summary>Appends a ledger row inside the caller's transaction, holding the head's row lock; returns the row's id.</summary>
    private static async Task<long> AppendAsync(NpgsqlConnection c, NpgsqlTransaction tx, LedgerEntry entry, CancellationToken ct)
    {
        var (lastId, lastHash) = await c.QuerySingleAsync<(long, string)>(new CommandDefinition(LockHeadSql, transaction: tx, cancellationToken: ct));
        var row = ConsentLedger.NextRow(entry, lastId, lastHash);
        await c.ExecuteAsync(new CommandDefinition(InsertEventSql, row, tx, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition(MoveHeadSql, new { row.Id, row.Hash }, tx, cancellationToken: ct));
        return row.Id;
    }

    /// <summary>The head as <c>consent.ledger_head</c> records it, on the caller's connection (without a lock).</summary>
    public static Task<LedgerHeadView> HeadAsync(NpgsqlConnection c, NpgsqlTransaction? tx, CancellationToken ct) =>
        c.QuerySingleAsync<LedgerHeadView>(new CommandDefinition(HeadSql, transaction: tx, cancellationToken: ct));

    /// <summary>One ledger row; null when there is none with that id.</summary>
    public static Task<ConsentEvent?> EventAsync(NpgsqlConnection c, NpgsqlTransaction tx, long id, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<ConsentEvent>(new CommandDefinition(EventSql, new { Id = id }, tx, cancellationToken: ct));

    /// <summary>Every ledger row in order, streamed on the caller's connection (verify reads them in its snapshot).</summary>
    public static IAsyncEnumerable<ConsentEvent> EventsAsync(NpgsqlConnection c, NpgsqlTransaction tx, CancellationToken ct) =>
        ReadEventsAsync(c, tx, AllEventsSql, null, ct);

    /// <summary>The ledger rows after <paramref name="afterId"/> in order, streamed on the caller's connection.</summary>
    public static IAsyncEnumerable<ConsentEvent> EventsAfterAsync(NpgsqlConnection c, NpgsqlTransaction tx, long afterId, CancellationToken ct) =>
        ReadEventsAsync(c, tx, EventsAfterSql, new { From = afterId }, ct);

    /// <summary>Every current state (verify compares them with what the ledger gives).</summary>
    public static async Task<IEnumerable<StateRow>> AllStatesAsync(NpgsqlConnection c, NpgsqlTransaction tx, CancellationToken ct) =>
        await c.QueryAsync<StateRow>(new CommandDefinition(AllStatesSql, transaction: tx, cancellationToken: ct));

    /// <summary>Every number's flags (verify compares them with what the ledger gives).</summary>
    public static async Task<IEnumerable<FlagRow>> AllFlagsAsync(NpgsqlConnection c, NpgsqlTransaction tx, CancellationToken ct) =>
        await c.QueryAsync<FlagRow>(new CommandDefinition(AllFlagsSql, transaction: tx, cancellationToken: ct));

    /// <summary>How many rows the filter matches, and the page of them from <paramref name="offset"/>, in ledger order.</summary>
    public async Task<(long Total, IReadOnlyList<ConsentEvent> Events)> EventPageAsync(EventFilter filter, int limit, long offset, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var (where, parameters) = WhereOf(filter);
        parameters.Add("Limit", limit);
        parameters.Add("Offset", offset);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var total = await c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT count(*) FROM consent.consent_events {where}", parameters, cancellationToken: ct));
        var events = (await c.QueryAsync<ConsentEvent>(new CommandDefinition(
            $"SELECT {ConsentLedger.SelectColumns} FROM consent.consent_events {where} ORDER BY id LIMIT @Limit OFFSET @Offset",
            parameters, cancellationToken: ct))).AsList();
        return (total, events);
    }

    /// <summary>
    /// The rows the filter matches, in ledger order, on a connection of their own: read as they are yielded (one
    /// query, so one snapshot), never held as a list.
    /// </summary>
    public async IAsyncEnumerable<ConsentEvent> EventsAsync(EventFilter filter, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var (where, parameters) = WhereOf(filter);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await foreach (var row in ReadEventsAsync(c, null, $"SELECT {ConsentLedger.SelectColumns} FROM consent.consent_events {where} ORDER BY id", parameters, ct))
        {
            yield return row;
        }
    }

    /// <summary>Rows as the reader yields them, never a list.</summary>
    private static async IAsyncEnumerable<ConsentEvent> ReadEventsAsync(
        NpgsqlConnection c, NpgsqlTransaction? tx, string sql, object? parameters, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var reader = await c.ExecuteReaderAsync(new CommandDefinition(sql, parameters, tx, cancellationToken: ct));
        var parser = reader.GetRowParser<ConsentEvent>();
        while (await reader.ReadAsync(ct))
        {
            yield return parser(reader);
        }
    }

    /// <summary>The WHERE clause of a filter (empty for none) and its parameters: only the fields given become part of it.</summary>
    private static (string Where, DynamicParameters Parameters) WhereOf(EventFilter filter)
    {
        var clauses = new List<string>();
        var parameters = new DynamicParameters();
        foreach (var (clause, name, value) in new (string, string, object?)[]
        {
            ("phone = @Phone", "Phone", filter.Phone),
            ("occurred_at >= @From", "From", filter.From),
            ("occurred_at < @To", "To", filter.To),
            ("new_state = @Type", "Type", filter.Type),
        })
        {
            if (value is not null)
            {
                clauses.Add(clause);
                parameters.Add(name, value);
            }
        }

        return (clauses.Count == 0 ? "" : "WHERE " + string.Join(" AND ", clauses), parameters);
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
