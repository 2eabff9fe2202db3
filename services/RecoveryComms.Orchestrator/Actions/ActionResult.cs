using RecoveryComms.Orchestrator.Items;

namespace RecoveryComms.Orchestrator.Actions;

/// <summary>The result of an action: the item after it, or a refusal.</summary>
public sealed record ActionResult<T>(T? Value, Refusal? Refusal);

public static class Act
{
    public static ActionResult<T> Ok<T>(T value) => new(value, null);

    public static ActionResult<T> No<T>(int status, string type, string title, string? detail = null, IReadOnlyList<string>? reasons = null) =>
        new(default, new Refusal(status, type, title, detail, reasons));
}
