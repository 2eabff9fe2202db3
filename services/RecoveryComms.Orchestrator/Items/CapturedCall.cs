namespace RecoveryComms.Orchestrator.Items;

/// <summary>What capture reported about one call, whichever event carried it.</summary>
/// <param name="Kind"><c>missed</c>, <c>abandoned</c>, <c>voicemail</c> or <c>transcription</c>.</param>
public sealed record CapturedCall(
    string CallSid, string Kind, string Caller, bool Withheld, string ShopLine, bool AfterHours, DateTimeOffset OccurredAt,
    bool ShortAbandon = false, string? Transcript = null, string? RecordingSid = null, string? RecordingUrl = null);
