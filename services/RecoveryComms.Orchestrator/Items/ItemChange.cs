namespace RecoveryComms.Orchestrator.Items;

/// <summary>A timer a transition arms for the item (<see cref="Timers.TimerKinds"/>).</summary>
public sealed record TimerArm(string Kind, DateTime At);

/// <summary>The person a transition tells (console and, when the shop enables it, their own phone): at most one alert per item and trigger.</summary>
public sealed record StaffAlertRequest(string Trigger, Guid? UserId, string Text);

/// <summary>
/// What a transition of <see cref="RecoveryItem"/> asks the writer (<see cref="ItemChanges.ApplyAsync"/>) to do, all
/// in one transaction: the refusal the API answers, or the timeline entry to record (which also decides the CRM
/// event), the timers to arm and cancel, the staff alert to raise and whether the consent service is told of a
/// flagged number. A transition that does not apply (a timer that fires after the item moved on) changes nothing.
/// </summary>
public sealed record ItemChange
{
    /// <summary>Nothing to do: the transition does not apply to the item as it is (it is not an error).</summary>
    public static readonly ItemChange None = new();

    /// <summary>Why the transition was refused; the item is unchanged.</summary>
    public Refusal? Refusal { get; private init; }

    /// <summary>The timeline kind (<see cref="TimelineKinds"/>); null when nothing changed.</summary>
    public string? Kind { get; private init; }

    public string Detail { get; private init; } = "";

    /// <summary>Only a timeline entry: no field of the row changed, so its version stays.</summary>
    public bool NoteOnly { get; private init; }

    public IReadOnlyList<TimerArm> Arm { get; init; } = [];

    /// <summary>Timer kinds cancelled for the item (a completed item's timers are all cancelled by the writer).</summary>
    public IReadOnlyList<string> Cancel { get; init; } = [];

    public StaffAlertRequest? Alert { get; init; }

    /// <summary>The customer's number was flagged (do-not-contact or wrong number): the consent service records it.</summary>
    public bool FlagsContact { get; init; }

    public bool IsRefused => Refusal is not null;

    public bool Changed => Kind is not null;

    public static ItemChange Record(string kind, string detail) => new() { Kind = kind, Detail = detail };

    public static ItemChange Note(string kind, string detail) => new() { Kind = kind, Detail = detail, NoteOnly = true };

    public static ItemChange Refuse(int status, string type, string title, string? detail = null, IReadOnlyList<string>? reasons = null) =>
        new() { Refusal = new Refusal(status, type, title, detail, reasons) };
}
