namespace RecoveryComms.Contracts.Identity;

/// <summary>
/// The orchestrator issued an API key. Other services store the hash and role and authenticate locally.
/// The key itself never travels: only its SHA-256.
/// </summary>
/// <param name="KeyId">The key's id.</param>
/// <param name="UserId">Its user.</param>
/// <param name="UserName">The user's display name (for audit logs).</param>
/// <param name="Role"><c>csr</c>, <c>manager</c>, <c>compliance</c> or <c>admin</c>.</param>
/// <param name="KeyHash">Lowercase hex SHA-256 of the key.</param>
/// <param name="OccurredAt">When it was issued.</param>
/// <param name="Signature">
/// The owner's ECDSA P-256 signature over every other field (base64, IEEE P1363; RecoveryComms.Hosting's
/// <c>KeyEventSignatures</c> fixes the signed form). A new optional last field: a replica stores no key whose
/// event is unsigned or wrongly signed, since anyone with broker credentials can publish this event.
/// </param>
public sealed record ApiKeyIssued(Guid KeyId, Guid UserId, string UserName, string Role, string KeyHash, DateTimeOffset OccurredAt, string? Signature = null);
