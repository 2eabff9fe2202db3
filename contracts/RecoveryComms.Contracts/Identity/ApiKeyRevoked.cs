namespace RecoveryComms.Contracts.Identity;

/// <summary>The orchestrator revoked an API key (revocation or rotation). Every service refuses it from now on.</summary>
/// <param name="KeyId">The key's id.</param>
/// <param name="UserId">Its user.</param>
/// <param name="OccurredAt">When it was revoked.</param>
public sealed record ApiKeyRevoked(Guid KeyId, Guid UserId, DateTimeOffset OccurredAt);
