namespace RecoveryComms.Contracts.Operations;

/// <summary>
/// An admin asked for the parked (poison) messages to be tried again, once their cause is fixed
/// (<c>POST /api/operations/replay-errors</c> on the orchestrator). Published by the orchestrator; every service
/// (one replica of each) moves the messages of its own <c>_error</c> queues back to the queues they failed on.
/// </summary>
/// <param name="CorrelationId">The request's id.</param>
/// <param name="RequestedBy">The admin's user id.</param>
/// <param name="OccurredAt">When it was asked.</param>
public sealed record ParkedMessagesReplayRequested(Guid CorrelationId, Guid RequestedBy, DateTimeOffset OccurredAt);
