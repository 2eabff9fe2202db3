namespace RecoveryComms.Consent.Ledger;

/// <summary>
/// How a number's flags (wrong number, spam) appear in the ledger: a row on channel <c>all</c> (a flag suppresses
/// every channel) whose states read <c>wrong_number=false</c> → <c>wrong_number=true</c>.
/// </summary>
public static class NumberFlagChanges
{
    public const string Channel = "all";
    public const string WrongNumber = "wrong_number";
    public const string Spam = "spam";

    public static string Format(string flag, bool value) => $"{flag}={(value ? "true" : "false")}";

    public static bool TryParse(string state, out string flag, out bool value)
    {
        ArgumentNullException.ThrowIfNull(state);
        var parts = state.Split('=');
        flag = parts[0];
        value = parts.Length == 2 && parts[1] == "true";
        return parts.Length == 2 && (flag is WrongNumber or Spam) && (parts[1] is "true" or "false");
    }
}
