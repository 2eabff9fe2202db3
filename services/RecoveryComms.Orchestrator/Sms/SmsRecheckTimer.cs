using System.Collections.Concurrent;
using System.Globalization;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Orchestrator.Settings;
using RecoveryComms.Orchestrator.Timers;
using RecoveryComms.Telephony.Messaging;

namespace RecoveryComms.Orchestrator.Sms;

/// <summary>Asks the gate again, with the same send id, about an SMS whose answer was lost or is still unknown.</summary>
public sealed class SmsRecheckTimer(RecoverySms sms) : ITimerHandler
{
    public IReadOnlyCollection<string> Kinds { get; } = [TimerKinds.SmsRecheck];

    public async Task FireAsync(NpgsqlConnection c, NpgsqlTransaction tx, DueTimer timer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(timer);
        if (await SmsSlotStore.PendingAsync(c, tx, timer.ItemId!.Value, ct) is not { } p)
        {
            return;
        }

        var result = await sms.AskGateAsync(p.SendId, p.Phone, p.Body, ct)
            ?? throw new TimeoutException("The send gate did not answer; the timer tries again.");
        await sms.ApplyAsync(c, tx, result, ct);
    }
}
