namespace RecoveryComms.Contracts.Identity;

/// <summary>The orchestrator revoked an API key (revocation or rotation). Every service refuses it from now on.</summary>
/// <param name="KeyId">The key's id.</param>
/// <param name="UserId">Its user.</param>
/// <param name="OccurredAt">When it was revoked.</param>
/// <param name="Signature">
/// The owner's ECDSA P-256 signature over the other fields (a new optional last field). Inside an
/// <see cref="ApiKeyHeartbeat"/> it is left out: the heartbeat's signature covers its revocations.
/// </param>
public sealed record ApiKeyRevoked(Guid KeyId, Guid UserId, DateTimeOffset OccurredAt, string? Signature = null);
