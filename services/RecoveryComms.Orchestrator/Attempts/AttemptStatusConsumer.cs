using Dapper;
using MassTransit;
using Npgsql;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Attempts;

/// <summary>Status reports of click-to-call legs (from the webhooks service).</summary>
public sealed class AttemptStatusConsumer(AttemptOutcomes outcomes) : IConsumer<CallbackAttemptStatusReported>
{
    public Task Consume(ConsumeContext<CallbackAttemptStatusReported> context) => outcomes.ApplyAsync(context.Message, context.CancellationToken);
}
