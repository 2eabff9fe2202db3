namespace RecoveryComms.Orchestrator.Users;

public static class UsersServiceCollectionExtensions
{
    /// <summary>Users and their API keys (this service owns the keys).</summary>
    public static IServiceCollection AddUsers(this IServiceCollection services)
    {
        services.AddSingleton<UserStore>();
        return services;
    }
}
