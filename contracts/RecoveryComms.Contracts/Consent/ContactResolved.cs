namespace RecoveryComms.Contracts.Consent;

/// <summary>The consent service's answer to <see cref="ResolveContact"/>.</summary>
/// <param name="CorrelationId">The question's correlation id.</param>
/// <param name="Phone">The number asked about, E.164.</param>
/// <param name="ContactKey"><c>account:&lt;id&gt;</c> for a number of a known account (every number of it answers the same), else <c>phone:&lt;E.164&gt;</c>.</param>
/// <param name="AccountId">The account, when the number belongs to one.</param>
/// <param name="AccountName">The account's display name, when known.</param>
/// <param name="Phones">Every number of the contact, E.164.</param>
/// <param name="OccurredAt">When it was answered.</param>
public sealed record ContactResolved(Guid CorrelationId, string Phone, string ContactKey, Guid? AccountId, string? AccountName, IReadOnlyList<string> Phones, DateTimeOffset OccurredAt);
