using Microsoft.AspNetCore.Http.HttpResults;
using NodaTime.Text;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Auth;

namespace RecoveryComms.Orchestrator.Review;

/// <summary>The manager's daily review, end-of-day list and scorecard.</summary>
public static class ReviewEndpoints
{
    public static IEndpointRouteBuilder MapReviewEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/review/daily", DailyAsync).RequireAuthorization(Policies.ManagerOrAdmin);
        endpoints.MapGet("/api/review/end-of-day", async (ReviewQueries review, CancellationToken ct) => TypedResults.Ok(await review.EndOfDayAsync(ct)))
            .RequireAuthorization(Policies.ManagerOrAdmin);
        endpoints.MapGet("/api/scorecard", ScorecardAsync).RequireAuthorization(Policies.ManagerOrAdmin);
        return endpoints;
    }

    private static async Task<Results<Ok<DailyReview>, ProblemHttpResult>> DailyAsync(string? date, ReviewQueries review, CancellationToken ct)
    {
        if (date is null)
        {
            return TypedResults.Ok(await review.DailyAsync(null, ct));
        }

        var parsed = LocalDatePattern.Iso.Parse(date);
        return parsed.Success
            ? TypedResults.Ok(await review.DailyAsync(parsed.Value, ct))
            : Problems.Create(400, "invalid-date", "date is a shop-local day, yyyy-MM-dd.");
    }

    private static async Task<Results<Ok<Scorecard>, ProblemHttpResult>> ScorecardAsync(DateTimeOffset? from, DateTimeOffset? to, ReviewQueries review, TimeProvider time, CancellationToken ct)
    {
        var end = to ?? time.GetUtcNow();
        var start = from ?? end.AddDays(-7);
        if (start >= end || end - start > TimeSpan.FromDays(366))
        {
            return Problems.Create(400, "invalid-period", "from must be before to, and the period at most a year.");
        }

        return TypedResults.Ok(await review.ScorecardAsync(start, end, ct));
    }
}
