namespace RecoveryComms.Orchestrator.Actions;

public static class ActionsServiceCollectionExtensions
{
    /// <summary>What CSRs and managers do to an item.</summary>
    public static IServiceCollection AddActions(this IServiceCollection services)
    {
        services.AddSingleton<ItemActions>();
        services.AddSingleton<DispositionReasons>();
        return services;
    }
}
