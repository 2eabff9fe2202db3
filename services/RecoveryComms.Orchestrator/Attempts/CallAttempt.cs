using Dapper;
using MassTransit;
using Npgsql;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Attempts;

/// <summary>A row of <c>orchestrator.call_attempts</c>.</summary>
public sealed class CallAttempt
{
    public Guid Id { get; init; }

    public Guid ItemId { get; init; }

    public Guid CsrId { get; init; }

    public DateTime StartedAt { get; init; }

    public string Result { get; set; } = "";

    public bool Counts { get; set; }

    public string? CsrCallSid { get; set; }

    public DateTime? EndedAt { get; init; }

    public string? CsrPhone { get; init; }

    public string? ShopLine { get; init; }

    public string? CustomerCallSid { get; set; }

    public string? CsrLegStatus { get; set; }

    public string? CustomerLegStatus { get; set; }

    public string? AnsweredBy { get; set; }

    public bool VoicemailLeft { get; set; }
}
