using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Consent.Ledger;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Consent.Suppression;

public sealed record QuietHoursRequest(string? OpensAt, string? ClosesAt, string? SourceNote);

/// <summary>Set (true) or clear (false) a flag; a flag left out is unchanged. <c>Note</c> says why (kept in the ledger).</summary>
public sealed record FlagsRequest(bool? WrongNumber, bool? Spam, string? Note);

/// <summary>The shop's own settings of suppression: state quiet-hour windows and number flags.</summary>
public static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapSuppressionAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/quiet-hours", ListAsync).RequireAuthorization(Policies.ComplianceOrAdmin);
        endpoints.MapPut("/api/quiet-hours/{region}", SetAsync).RequireAuthorization(Policies.ComplianceOrAdmin);
        // Note: csr and admin may set a flag; clearing one (which lets texts and calls reach the number again) takes a
        // manager or compliance, checked in the handler. A stale key replica refuses it (a CSR's key revoked during a
        // broker outage must not keep writing ledger rows).
        endpoints.MapPost("/api/numbers/{phone}/flags", FlagAsync)
            .RequireAuthorization(policy => policy.RequireRole(Roles.Csr, Roles.Manager, Roles.Compliance, Roles.Admin)
                .AddRequirements(new KeyReplicaFreshnessRequirement()));
        return endpoints;
    }

    private static async Task<Ok<QuietWindow[]>> ListAsync(NpgsqlDataSource dataSource, CancellationToken ct) =>
        TypedResults.Ok(await QuietHoursStore.ListAsync(dataSource, ct));

    /// <summary>Sets a window: <c>default</c>, or a US state as <c>US-FL</c>. Takes effect within 30 s (the cache).</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> SetAsync(string region, QuietHoursRequest request, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        if (!(region == "default" || System.Text.RegularExpressions.Regex.IsMatch(region, "^US-[A-Z]{2}$"))
            || !TimeOnly.TryParse(request.OpensAt, System.Globalization.CultureInfo.InvariantCulture, out var opens)
            || !TimeOnly.TryParse(request.ClosesAt, System.Globalization.CultureInfo.InvariantCulture, out var closes)
            || opens >= closes || string.IsNullOrWhiteSpace(request.SourceNote))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "invalid-quiet-hours", "The window is not valid.",
                "region is 'default' or 'US-XX'; opensAt < closesAt as HH:mm; sourceNote names the rule.");
        }

        if (opens < QuietHours.Federal.OpensAt || closes > QuietHours.Federal.ClosesAt)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "quiet-hours-too-wide", "A window may not be wider than the federal one.",
                "Texts may reach a recipient between 08:00 and 21:00 their local time at most (47 CFR 64.1200(c)(1)); a window may only be stricter.");
        }

        await QuietHoursStore.SetAsync(dataSource, new QuietWindow(region, opens, closes), request.SourceNote, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> FlagAsync(
        string phone, FlagsRequest request, ClaimsPrincipal user, ConsentStore store, TimeProvider time, IOptions<ConsentOptions> options, CancellationToken ct)
    {
        if (!Phone.TryNormalize(phone, options.Value.DefaultRegion, out var e164))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "invalid-phone", "Not a phone number.", $"'{phone}' is not a possible phone number.");
        }

        if ((request.WrongNumber is null && request.Spam is null) || request.Note?.Length > 4000)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "invalid-flags", "Nothing to change.",
                "Give wrongNumber and/or spam (true sets, false clears); note is at most 4000 characters.");
        }

        if ((request.WrongNumber == false || request.Spam == false) && !user.IsInRole(Roles.Manager) && !user.IsInRole(Roles.Compliance))
        {
            return Problems.Create(StatusCodes.Status403Forbidden, "clearing-needs-manager", "Only a manager or compliance may clear a flag.",
                "Clearing wrong-number or spam lets the shop contact the number again; ask a manager or compliance.");
        }

        var actor = $"{user.Identity?.Name} ({user.FindFirstValue(ClaimTypes.NameIdentifier)})";
        var evidence = string.IsNullOrWhiteSpace(request.Note) ? "Set through the API" : request.Note.Trim();
        await store.FlagAsync(new NumberFlagChange(e164, request.WrongNumber, request.Spam, "api", null, actor, evidence, time.GetUtcNow()), ct);
        return TypedResults.NoContent();
    }
}
