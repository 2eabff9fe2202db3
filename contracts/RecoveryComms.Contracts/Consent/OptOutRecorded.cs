namespace RecoveryComms.Contracts.Consent;

/// <summary>The answer to <see cref="RecordOptOut"/>: the number is opted out of SMS from now on.</summary>
/// <param name="CorrelationId">From the request.</param>
/// <param name="Phone">The number in E.164.</param>
/// <param name="AlreadyOptedOut">True when it was opted out before this message.</param>
/// <param name="OccurredAt">When it was recorded.</param>
public sealed record OptOutRecorded(Guid CorrelationId, string Phone, bool AlreadyOptedOut, DateTimeOffset OccurredAt);
