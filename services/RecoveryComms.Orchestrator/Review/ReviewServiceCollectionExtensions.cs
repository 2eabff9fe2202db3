namespace RecoveryComms.Orchestrator.Review;

public static class ReviewServiceCollectionExtensions
{
    /// <summary>The manager's daily and end-of-day reviews.</summary>
    public static IServiceCollection AddReview(this IServiceCollection services)
    {
        services.AddSingleton<ReviewQueries>();
        return services;
    }
}
