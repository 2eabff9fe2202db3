using Dapper;
using Npgsql;

namespace RecoveryComms.Consent.Identity;

public sealed record Account(Guid Id, string ExternalRef, string Name, string? TimeZone, IReadOnlyList<string> Phones);

public sealed record Contact(string? ContactKey, Guid? AccountId, IReadOnlyList<string> Phones, bool Withheld);

/// <summary>A number already belongs to another account.</summary>
public sealed class PhoneTakenException(string phone, string otherAccount)
    : Exception($"{phone} already belongs to account {otherAccount}.")
{
    public string Phone { get; } = phone;
}

public enum SaveOutcome
{
    Created,
    Updated,
    Unchanged,
}

/// <summary>
/// Owns <c>consent.accounts</c> and <c>consent.account_phones</c> (the only class that writes them): who is one customer.
/// <see cref="Ledger.ConsentStore"/> reads an account's zone for the suppression facts.
/// </summary>
public sealed class AccountStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    private const string ByRefSql = "SELECT id, external_ref AS ExternalRef, name, time_zone AS TimeZone FROM consent.accounts WHERE external_ref = @ExternalRef FOR UPDATE";
    private const string PhonesSql = "SELECT phone FROM consent.account_phones WHERE account_id = @Id ORDER BY phone";
    private const string OwnersSql = """
        SELECT p.phone, a.external_ref FROM consent.account_phones p JOIN consent.accounts a ON a.id = p.account_id
        WHERE p.phone = ANY(@Phones) AND p.account_id <> @Id
        """;

    private const string InsertSql = """
        INSERT INTO consent.accounts (id, external_ref, name, time_zone, created_at, updated_at) VALUES (@Id, @ExternalRef, @Name, @TimeZone, @At, @At)
        """;

    private const string UpdateSql = "UPDATE consent.accounts SET name = @Name, time_zone = @TimeZone, updated_at = @At WHERE id = @Id";
    private const string DeletePhonesSql = "DELETE FROM consent.account_phones WHERE account_id = @Id AND NOT (phone = ANY(@Phones))";
    private const string AddPhonesSql = "INSERT INTO consent.account_phones (phone, account_id) SELECT unnest(@Phones), @Id ON CONFLICT (phone) DO NOTHING";

    private const string ResolveSql = """
        SELECT p.account_id FROM consent.account_phones p WHERE p.phone = @Phone
        """;

    private sealed record Row(Guid Id, string ExternalRef, string Name, string? TimeZone);

    /// <summary>Creates or updates the account with this external reference; the same data again changes nothing.</summary>
    public async Task<(Account Account, SaveOutcome Outcome)> SaveAsync(string externalRef, string name, string? timeZone, IReadOnlyList<string> phones, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(phones);
        var sorted = phones.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        // Serialises saves of the same reference, including the first (no row to lock yet).
        await c.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtext('account:' || @ExternalRef))", new { ExternalRef = externalRef }, tx, cancellationToken: ct));
        var existing = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(ByRefSql, new { ExternalRef = externalRef }, tx, cancellationToken: ct));
        var id = existing?.Id ?? Guid.NewGuid();
        var taken = (await c.QueryAsync<(string Phone, string Ref)>(new CommandDefinition(OwnersSql, new { Phones = sorted, Id = id }, tx, cancellationToken: ct))).FirstOrDefault();
        if (taken.Phone is not null)
        {
            throw new PhoneTakenException(taken.Phone, taken.Ref);
        }

        var at = time.GetUtcNow();
        SaveOutcome outcome;
        if (existing is null)
        {
            await c.ExecuteAsync(new CommandDefinition(InsertSql, new { Id = id, ExternalRef = externalRef, Name = name, TimeZone = timeZone, At = at }, tx, cancellationToken: ct));
            outcome = SaveOutcome.Created;
        }
        else
        {
            var current = (await c.QueryAsync<string>(new CommandDefinition(PhonesSql, new { Id = id }, tx, cancellationToken: ct))).ToArray();
            if (existing.Name == name && existing.TimeZone == timeZone && current.SequenceEqual(sorted))
            {
                await tx.CommitAsync(ct);
                return (new Account(id, externalRef, name, timeZone, sorted), SaveOutcome.Unchanged);
            }

            await c.ExecuteAsync(new CommandDefinition(UpdateSql, new { Id = id, Name = name, TimeZone = timeZone, At = at }, tx, cancellationToken: ct));
            await c.ExecuteAsync(new CommandDefinition(DeletePhonesSql, new { Id = id, Phones = sorted }, tx, cancellationToken: ct));
            outcome = SaveOutcome.Updated;
        }

        await c.ExecuteAsync(new CommandDefinition(AddPhonesSql, new { Id = id, Phones = sorted }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return (new Account(id, externalRef, name, timeZone, sorted), outcome);
    }

    /// <summary>The account's display name; null when there is no such account.</summary>
    public async Task<string?> NameAsync(Guid accountId, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition("SELECT name FROM consent.accounts WHERE id = @Id", new { Id = accountId }, cancellationToken: ct));
    }

    /// <summary>One contact key for every number of an account; a number without an account is its own contact.</summary>
    public async Task<Contact> ResolveAsync(string e164, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var accountId = await c.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(ResolveSql, new { Phone = e164 }, cancellationToken: ct));
        if (accountId is null)
        {
            return new Contact("phone:" + e164, null, [e164], Withheld: false);
        }

        var phones = (await c.QueryAsync<string>(new CommandDefinition(PhonesSql, new { Id = accountId }, cancellationToken: ct))).AsList();
        return new Contact("account:" + accountId, accountId, phones, Withheld: false);
    }
}
