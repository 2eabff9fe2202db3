namespace RecoveryComms.Consent.Identity;

public static class AccountsServiceCollectionExtensions
{
    /// <summary>Customer accounts and their numbers, which resolve a phone to a contact (duplicate merging).</summary>
    public static IServiceCollection AddAccounts(this IServiceCollection services) => services.AddSingleton<AccountStore>();
}
