namespace RecoveryComms.Orchestrator.Items;

/// <summary>Timeline entry kinds (the <c>kind</c> of <c>GET /api/recoveries/{id}</c> timeline rows).</summary>
public static class TimelineKinds
{
    public const string Created = "created";
    public const string Merged = "merged";
    public const string Transcribed = "transcribed";
    public const string Claimed = "claimed";
    public const string Reassigned = "reassigned";
    public const string AttemptPlaced = "attempt-placed";
    public const string AttemptResult = "attempt-result";
    public const string VoicemailLeft = "voicemail-left";
    public const string Recorded = "recorded";
    public const string SmsRequested = "sms-requested";
    public const string SmsResult = "sms-result";
    public const string SmsDelivery = "sms-delivery";
    public const string CustomerReplied = "customer-replied";
    public const string OptedOut = "opted-out";
    public const string BackupTriggered = "backup-triggered";
    public const string Escalated = "escalated";
    public const string ClockStarted = "clock-started";
    public const string PromisedCheck = "promised-check";
    public const string EndOfDay = "end-of-day";
    public const string EndOfDayUnassigned = "end-of-day-unassigned";
    public const string Limbo = "limbo";
    public const string LimboCheck = "limbo-check";
    public const string Disposed = "disposed";
    public const string Alert = "alert";
    public const string EmergencyDetected = "emergency-detected";
}
