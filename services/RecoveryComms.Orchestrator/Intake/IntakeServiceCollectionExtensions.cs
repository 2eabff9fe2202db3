namespace RecoveryComms.Orchestrator.Intake;

public static class IntakeServiceCollectionExtensions
{
    /// <summary>Missed calls, voicemails and texts becoming recovery items (the consumers are listed with the bus).</summary>
    public static IServiceCollection AddIntake(this IServiceCollection services)
    {
        services.AddSingleton<Contacts>();
        services.AddSingleton<RecoveryIntake>();
        return services;
    }
}
