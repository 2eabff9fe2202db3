namespace RecoveryComms.Contracts.Identity;

/// <summary>
/// The orchestrator, owner of the API keys, publishes this every second straight to the broker. A service that
/// keeps a copy of the keys stores it and applies <paramref name="RecentRevocations"/>: a copy whose newest
/// heartbeat is recent therefore holds every revocation committed before that heartbeat, even when the outbox
/// relay that carries <see cref="ApiKeyRevoked"/> is stuck. A copy without a recent heartbeat refuses its
/// privileged routes (fails closed) until one arrives.
/// </summary>
/// <param name="OccurredAt">The owner's database time when it read the revocations (the snapshot's time).</param>
/// <param name="RecentRevocations">Every key revoked in the day before <paramref name="OccurredAt"/> (by its revocation time).</param>
/// <param name="Signature">
/// The owner's ECDSA P-256 signature over the time and every revocation (a new optional last field). A replica
/// stores no unsigned or wrongly signed heartbeat, and never stores a time later than its own clock.
/// </param>
public sealed record ApiKeyHeartbeat(DateTimeOffset OccurredAt, IReadOnlyList<ApiKeyRevoked> RecentRevocations, string? Signature = null);
