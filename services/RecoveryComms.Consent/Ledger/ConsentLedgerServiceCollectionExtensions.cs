namespace RecoveryComms.Consent.Ledger;

public static class ConsentLedgerServiceCollectionExtensions
{
    /// <summary>The append-only, hash-chained consent ledger: its store, the audit log, the verifier and the signed checkpoints.</summary>
    public static IServiceCollection AddConsentLedger(this IServiceCollection services)
    {
        services.AddSingleton<ConsentStore>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<LedgerVerifier>();
        services.AddLedgerCheckpoints();
        return services;
    }
}
