namespace RecoveryComms.Contracts.Recovery;

/// <summary>
/// A recovery item needs a named person now: its backup trigger fired (nobody claimed or called within the
/// first-attempt target) or it was escalated (no attempt by the SLA). Published by the orchestrator; its own
/// staff-SMS consumer texts the person when the shop enables <c>Recovery__AlertStaffBySms</c>.
/// </summary>
/// <param name="CorrelationId">The recovery item's id.</param>
/// <param name="ItemId">The recovery item.</param>
/// <param name="Trigger"><c>backup-triggered</c> or <c>escalated</c>.</param>
/// <param name="UserId">Who must act.</param>
/// <param name="UserName">Their name.</param>
/// <param name="Text">The short alert text (no customer number in it).</param>
/// <param name="OccurredAt">When the trigger fired.</param>
public sealed record StaffAlertRaised(Guid CorrelationId, Guid ItemId, string Trigger, Guid UserId, string UserName, string Text, DateTimeOffset OccurredAt);
