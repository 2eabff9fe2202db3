namespace RecoveryComms.Orchestrator.Actions;

/// <summary>Why an action on an item was refused, as the API answers it.</summary>
public sealed record Refusal(int Status, string Type, string Title, string? Detail = null, IReadOnlyList<string>? Reasons = null);

/// <summary>The result of an action: the item after it, or a refusal.</summary>
public sealed record ActionResult<T>(T? Value, Refusal? Refusal);

public static class Act
{
    public static ActionResult<T> Ok<T>(T value) => new(value, null);

    public static ActionResult<T> No<T>(int status, string type, string title, string? detail = null, IReadOnlyList<string>? reasons = null) =>
        new(default, new Refusal(status, type, title, detail, reasons));
}
