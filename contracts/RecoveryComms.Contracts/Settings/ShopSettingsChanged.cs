namespace RecoveryComms.Contracts.Settings;

/// <summary>
/// A manager saved the shop's settings in the console. Published by the orchestrator (through its outbox, in the
/// transaction that saved them); the webhooks service keeps its own copy and applies the hours, zone and ring group
/// to its front door without a restart. Versions only grow: a consumer ignores an event older than its copy.
/// </summary>
/// <param name="CorrelationId">Identifies this change (one per saved version).</param>
/// <param name="Version">The saved version, 1, 2, 3 …; a higher version supersedes a lower one.</param>
/// <param name="TimeZone">IANA zone of the shop, e.g. <c>America/Chicago</c>.</param>
/// <param name="OpenHours">All seven days by lower-case English name (<c>monday</c>) → <c>HH:mm-HH:mm</c>; null = closed.</param>
/// <param name="RingGroup">E.164 numbers rung at once in business hours; empty = straight to voicemail.</param>
/// <param name="UpdatedBy">Who saved it.</param>
/// <param name="OccurredAt">When it was saved.</param>
public sealed record ShopSettingsChanged(
    Guid CorrelationId, long Version, string TimeZone, IReadOnlyDictionary<string, string?> OpenHours, IReadOnlyList<string> RingGroup,
    string? UpdatedBy, DateTimeOffset OccurredAt);
