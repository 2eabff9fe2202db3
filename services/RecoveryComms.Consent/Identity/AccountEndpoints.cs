using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NodaTime;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Consent.Identity;

public sealed record AccountRequest(string? ExternalRef, string? Name, string[]? Phones, string? TimeZone);

public sealed record ImportError(int Line, string Error);

public sealed record ImportResult(int Created, int Updated, int Unchanged, IReadOnlyList<ImportError> Errors);

public static class AccountEndpoints
{
    private static readonly string[] RequiredColumns = ["external_ref", "name", "phones"];

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/accounts", SaveAsync).RequireAuthorization(Policies.AccountWriter);
        endpoints.MapPost("/api/accounts/import", ImportAsync).RequireAuthorization(Policies.AccountWriter).DisableAntiforgery();
        // Note: the contract's "services": a number's account and every phone of it are no staff key's business
        // (the orchestrator asks over the bus, ResolveContact), so only a service credential reads them here.
        endpoints.MapGet("/api/contacts/resolve", ResolveAsync).RequireAuthorization(Policies.Service);
        return endpoints;
    }

    private static async Task<Results<Ok<Account>, Created<Account>, ValidationProblem, ProblemHttpResult>> SaveAsync(
        AccountRequest request, AccountStore store, IOptions<ConsentOptions> options, CancellationToken ct)
    {
        var (valid, errors) = Validate(request, options.Value.DefaultRegion);
        if (valid is null)
        {
            return TypedResults.ValidationProblem(errors, type: Problems.TypeBase + "validation");
        }

        try
        {
            var (account, outcome) = await store.SaveAsync(valid.ExternalRef, valid.Name, valid.TimeZone, valid.Phones, ct);
            return outcome == SaveOutcome.Created ? TypedResults.Created($"/api/accounts/{account.Id}", account) : TypedResults.Ok(account);
        }
        catch (PhoneTakenException e)
        {
            return Problems.Create(StatusCodes.Status409Conflict, "phone-taken", "The number belongs to another account.", e.Message);
        }
    }

    /// <summary>
    /// CSV with a header <c>external_ref,name,phones,time_zone</c> (phones separated by <c>;</c>). Each good row is
    /// saved; each bad one is reported with its line number and skipped. Importing the same file again changes nothing.
    /// </summary>
    private static async Task<Results<Ok<ImportResult>, ProblemHttpResult>> ImportAsync(
        HttpRequest http, AccountStore store, IOptions<ConsentOptions> options, CancellationToken ct)
    {
        using var reader = new StreamReader(http.Body);
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            PrepareHeaderForMatch = args => args.Header.Trim().ToLowerInvariant(),
            MissingFieldFound = null,
            BadDataFound = null,
        });
        if (!await csv.ReadAsync() || !csv.ReadHeader() || csv.HeaderRecord is not { } header
            || !RequiredColumns.All(h => header.Select(x => x.Trim().ToLowerInvariant()).Contains(h)))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "invalid-csv", "The CSV needs a header: external_ref,name,phones,time_zone.");
        }

        int created = 0, updated = 0, unchanged = 0;
        var errors = new List<ImportError>();
        while (await csv.ReadAsync())
        {
            var line = csv.Parser.RawRow;
            var request = new AccountRequest(
                csv.GetField("external_ref")?.Trim(),
                csv.GetField("name")?.Trim(),
                (csv.GetField("phones") ?? "").Split([';', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                header.Any(h => h.Trim().Equals("time_zone", StringComparison.OrdinalIgnoreCase)) ? NullIfEmpty(csv.GetField("time_zone")) : null);
            var (valid, problems) = Validate(request, options.Value.DefaultRegion);
            if (valid is null)
            {
                errors.Add(new ImportError(line, string.Join(" ", problems.SelectMany(p => p.Value))));
                continue;
            }

            try
            {
                var (_, outcome) = await store.SaveAsync(valid.ExternalRef, valid.Name, valid.TimeZone, valid.Phones, ct);
                _ = outcome switch
                {
                    SaveOutcome.Created => created++,
                    SaveOutcome.Updated => updated++,
                    _ => unchanged++,
                };
            }
            catch (PhoneTakenException e)
            {
                errors.Add(new ImportError(line, e.Message));
            }
        }

        return TypedResults.Ok(new ImportResult(created, updated, unchanged, errors));
    }

    private static async Task<Results<Ok<Contact>, ProblemHttpResult>> ResolveAsync(string? phone, AccountStore store, IOptions<ConsentOptions> options, CancellationToken ct)
    {
        if (Phone.IsWithheld(phone))
        {
            // A withheld caller is still queued for the CSR, but can never be merged with anyone.
            return TypedResults.Ok(new Contact(null, null, [], Withheld: true));
        }

        if (!Phone.TryNormalize(phone, options.Value.DefaultRegion, out var e164))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "invalid-phone", "Not a phone number.", $"'{phone}' is not a possible phone number.");
        }

        return TypedResults.Ok(await store.ResolveAsync(e164, ct));
    }

    private sealed record ValidAccount(string ExternalRef, string Name, string? TimeZone, IReadOnlyList<string> Phones);

    private static (ValidAccount? Account, Dictionary<string, string[]> Errors) Validate(AccountRequest request, string region)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.ExternalRef) || request.ExternalRef.Length > 100)
        {
            errors["externalRef"] = ["externalRef (the CRM's account number) is required, at most 100 characters."];
        }

        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
        {
            errors["name"] = ["name is required, at most 200 characters."];
        }

        var phones = new List<string>();
        foreach (var raw in request.Phones ?? [])
        {
            if (Phone.TryNormalize(raw, region, out var e164))
            {
                phones.Add(e164);
            }
            else
            {
                errors["phones"] = [$"'{raw}' is not a valid phone number."];
            }
        }

        if (phones.Count == 0 && !errors.ContainsKey("phones"))
        {
            errors["phones"] = ["At least one phone number is required."];
        }

        if (request.TimeZone is not null && DateTimeZoneProviders.Tzdb.GetZoneOrNull(request.TimeZone) is null)
        {
            errors["timeZone"] = [$"'{request.TimeZone}' is not an IANA time zone."];
        }

        return errors.Count > 0
            ? (null, errors)
            : (new ValidAccount(request.ExternalRef!.Trim(), request.Name!.Trim(), request.TimeZone, phones), errors);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
