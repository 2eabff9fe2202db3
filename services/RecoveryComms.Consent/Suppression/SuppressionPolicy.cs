using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Consent.Ledger;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Consent.Suppression;

public sealed record Decision(string Phone, string Channel, bool Allowed, IReadOnlyList<string> Reasons);

/// <summary>
/// Decides whether the shop may contact a number on a channel now. Reasons are stable codes
/// (see <c>SuppressionDecision</c>). The send gate calls it inside its own transaction, with the number locked.
/// </summary>
public sealed class SuppressionPolicy(
    NpgsqlDataSource dataSource, QuietHours quietHours, TimeProvider time, IOptionsMonitor<ConsentOptions> consent, IOptionsMonitor<MessagingOptions> messaging)
{
    public static bool IsChannel(string? channel) => channel is "sms" or "voice";

    /// <summary>Decides on a fresh connection (the read path: API and bus).</summary>
    public async Task<Decision> DecideAsync(string rawPhone, string channel, CancellationToken ct)
    {
        if (Phone.IsWithheld(rawPhone))
        {
            return new Decision(rawPhone?.Trim() ?? "", channel, false, ["anonymous"]);
        }

        if (!Phone.TryNormalize(rawPhone, consent.CurrentValue.DefaultRegion, out var e164))
        {
            return new Decision(rawPhone.Trim(), channel, false, ["invalid-number"]);
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await DecideAsync(c, null, e164, channel, ct);
    }

    /// <summary>Decides for an E.164 number within the caller's transaction (the send gate's path).</summary>
    public async Task<Decision> DecideAsync(NpgsqlConnection c, NpgsqlTransaction? tx, string e164, string channel, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        var facts = await ConsentStore.SuppressionFactsAsync(c, tx, e164, ct);
        var state = channel == "sms" ? facts.Sms : facts.Voice;
        var reasons = new List<string>();
        if (state == ConsentStates.OptedOut)
        {
            reasons.Add("opted-out");
        }

        if (facts.Sms == ConsentStates.DoNotContact || facts.Voice == ConsentStates.DoNotContact)
        {
            reasons.Add("do-not-contact");
        }

        if (facts.WrongNumber)
        {
            reasons.Add("wrong-number");
        }

        if (facts.Spam)
        {
            reasons.Add("spam");
        }

        if (channel == "sms")
        {
            if (!messaging.CurrentValue.A2PRegistered)
            {
                reasons.Add("a2p-not-registered");
            }

            var consented = state == ConsentStates.Express
                || (state == ConsentStates.Implied && consent.CurrentValue.ImpliedConsentAllowsRecoveryText);
            if (!consented && state is not (ConsentStates.OptedOut or ConsentStates.DoNotContact))
            {
                reasons.Add("no-consent");
            }

            // Note: quiet hours are applied to every text (the conservative reading of 47 CFR 64.1200(c)(1)); calls
            // back to a customer who called are not held to them.
            // A recipient whose zone nothing names is refused for that reason, never judged in the shop's zone.
            switch (await quietHours.CheckAsync(e164, facts.AccountZone, time.GetUtcNow(), c, tx, ct))
            {
                case QuietHoursVerdict.Quiet:
                    reasons.Add("quiet-hours");
                    break;
                case QuietHoursVerdict.ZoneUnknown:
                    reasons.Add("zone-unknown");
                    break;
            }
        }

        return new Decision(e164, channel, reasons.Count == 0, reasons);
    }
}
