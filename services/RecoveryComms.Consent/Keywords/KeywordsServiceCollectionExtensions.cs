namespace RecoveryComms.Consent.Keywords;

public static class KeywordsServiceCollectionExtensions
{
    /// <summary>STOP, START and HELP from texts and carriers, recorded in the ledger (the consumers are listed with the bus).</summary>
    public static IServiceCollection AddKeywords(this IServiceCollection services) => services.AddSingleton<OptOutRecorder>();
}
