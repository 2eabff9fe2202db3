using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Owners;
using RecoveryComms.Orchestrator.Settings;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Intake;

/// <summary>
/// Turns captured calls into recovery items: one open item per customer, further calls merged as occurrences
/// (keeping the item's place in the queue), a redelivered event changing nothing. Concurrent events for one
/// customer are serialised by a transaction-scoped advisory lock on the contact; the partial unique index on
/// open call items is the backstop.
/// </summary>
public sealed partial class RecoveryIntake(
    NpgsqlDataSource dataSource, Contacts contacts, LoopClock clock, ShopCalendar calendar, ItemChanges changes, ItemEmergencies emergencies, ShopSettings settings, IOptions<PhoneOptions> phones, TimeProvider time, ILogger<RecoveryIntake> logger)
{
    public async Task ApplyAsync(CapturedCall call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        await clock.SettingsLoadedAsync(ct);
        string? phone = null;
        ContactInfo contact;
        if (call.Withheld || !Phone.TryNormalize(call.Caller, phones.Value.DefaultRegion, out var e164))
        {
            // Nobody can dial a withheld caller; the item still counts the miss.
            contact = new ContactInfo("withheld:" + call.CallSid, null, null);
        }
        else
        {
            phone = e164;
            contact = await contacts.ResolveAsync(e164, ct);
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtext('contact:' || @Key))", new { Key = contact.ContactKey }, tx, cancellationToken: ct));

        var at = call.OccurredAt.UtcDateTime;
        var itemOfCall = await RecoveryItemStore.ItemOfCallAsync(c, tx, call.CallSid, ct);
        RecoveryItem? item = itemOfCall is { } known ? await RecoveryItemStore.LockAsync(c, tx, known, ct) : null;
        if (item is null || !item.IsOpen && call.Kind is "missed" or "abandoned")
        {
            item = await RecoveryItemStore.LockOpenCallAsync(c, tx, contact.ContactKey, ct) ?? item;
        }

        if (call.Kind == "transcription" && item is null)
        {
            throw new NotYetException($"The voicemail of call {call.CallSid} has not been applied yet.");
        }

        if (item is null)
        {
            item = await CreateAsync(c, tx, call, phone, contact, ct);
            await RecoveryItemStore.TryAddOccurrenceAsync(c, tx, call.CallSid, call.Kind, item.Id, phone, at, ct);
            await emergencies.CheckAsync(c, tx, item, call.Transcript, EmergencySources.Transcript, ct);
            await tx.CommitAsync(ct);
            var masked = Phone.Mask(phone);
            LogCreated(item.Id, item.Type, masked);
            return;
        }

        var newCall = !await RecoveryItemStore.HasCallAsync(c, tx, item.Id, call.CallSid, ct);
        if (!await RecoveryItemStore.TryAddOccurrenceAsync(c, tx, call.CallSid, call.Kind, item.Id, phone, at, ct))
        {
            // Redelivered: it was applied before.
            await tx.CommitAsync(ct);
            return;
        }

        await changes.ApplyAsync(c, tx, item, Actor.System, item.MergeCall(call, newCall, contact), ct);
        await emergencies.CheckAsync(c, tx, item, call.Transcript, EmergencySources.Transcript, ct);
        await tx.CommitAsync(ct);
    }

    private async Task<RecoveryItem> CreateAsync(NpgsqlConnection c, NpgsqlTransaction tx, CapturedCall call, string? phone, ContactInfo contact, CancellationToken ct)
    {
        var times = clock.ForCall(call.OccurredAt, call.AfterHours);
        var pick = await ItemOwners.PickAsync(c, tx, calendar.Local(times.ClockStartsAt).DayOfWeek, settings.Current.FallbackOwners, null, ct);
        var item = RecoveryItem.FromCall(Guid.CreateVersion7(), call, phone, contact, times, pick.Owners, time.GetUtcNow().UtcDateTime);
        await changes.CreateAsync(c, tx, item, Actor.System, pick.Note is null ? item.CreatedDetail : item.CreatedDetail + " " + pick.Note, ct);
        return item;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovery item {ItemId} ({Type}) created for {Phone}")]
    private partial void LogCreated(Guid itemId, string type, string phone);
}
