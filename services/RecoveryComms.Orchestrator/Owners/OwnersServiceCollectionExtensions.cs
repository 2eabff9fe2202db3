namespace RecoveryComms.Orchestrator.Owners;

public static class OwnersServiceCollectionExtensions
{
    /// <summary>Who owns and backs up a new item.</summary>
    public static IServiceCollection AddOwners(this IServiceCollection services)
    {
        services.AddSingleton<Rotation>();
        return services;
    }
}
