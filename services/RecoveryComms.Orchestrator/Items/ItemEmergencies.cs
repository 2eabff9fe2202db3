using Npgsql;
using RecoveryComms.Orchestrator.Settings;

namespace RecoveryComms.Orchestrator.Items;

/// <summary>
/// Applies the shop's emergency rules to what a customer said (a voicemail transcript, a text reply, a callback's
/// note, an answering service's summary): a match marks the item (<see cref="RecoveryItem.MarkEmergency"/>) and puts
/// it on the emergency clock (<see cref="LoopClock.ForEmergency"/>), in the caller's transaction.
/// </summary>
public sealed class ItemEmergencies(ShopSettings settings, LoopClock clock, ItemChanges changes)
{
    /// <summary>The phrase of the shop's list found in <paramref name="text"/>, if any.</summary>
    public string? Match(string? text) => EmergencyRules.FirstMatch(text, settings.Current.EmergencyPhrases);

    /// <summary>Marks <paramref name="item"/> an emergency when <paramref name="text"/> holds one of the shop's phrases; true when it did.</summary>
    public async Task<bool> CheckAsync(NpgsqlConnection c, NpgsqlTransaction tx, RecoveryItem item, string? text, string source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (Match(text) is not { } phrase)
        {
            return false;
        }

        var change = item.MarkEmergency(new EmergencyMatch(phrase, source), clock.ForEmergency(new DateTimeOffset(changes.Now, TimeSpan.Zero)));
        await changes.ApplyAsync(c, tx, item, Actor.System, change, ct);
        return change.Changed;
    }
}
