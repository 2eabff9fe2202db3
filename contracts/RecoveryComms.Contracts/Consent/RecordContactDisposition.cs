namespace RecoveryComms.Contracts.Consent;

/// <summary>
/// A CSR's disposition that touches consent, sent by the orchestrator to the consent service: the customer asked
/// not to be contacted again, or the number is a wrong number or spam. Each is written to the consent ledger
/// (do-not-contact) or the number's flags, with the CSR as the actor. Idempotent per <paramref name="DispositionId"/>.
/// </summary>
/// <param name="CorrelationId">The recovery item.</param>
/// <param name="DispositionId">The disposition, once.</param>
/// <param name="Phone">The customer's number.</param>
/// <param name="DoNotContact">True when the customer asked not to be contacted again (both channels).</param>
/// <param name="WrongNumber">True when the number does not belong to the customer.</param>
/// <param name="Spam">True when the caller was spam.</param>
/// <param name="UserId">The CSR.</param>
/// <param name="UserName">The CSR's name, for the ledger.</param>
/// <param name="Note">What the CSR wrote.</param>
/// <param name="OccurredAt">When the disposition was recorded.</param>
public sealed record RecordContactDisposition(
    Guid CorrelationId, Guid DispositionId, string Phone, bool DoNotContact, bool WrongNumber, bool Spam, Guid UserId, string UserName, string Note, DateTimeOffset OccurredAt);
