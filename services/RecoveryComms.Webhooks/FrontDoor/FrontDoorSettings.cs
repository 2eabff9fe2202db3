using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using RecoveryComms.Contracts.Settings;
using RecoveryComms.Hosting.Background;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Webhooks.FrontDoor;

/// <summary>The hours, zone and ring group the front door follows, as one snapshot.</summary>
/// <param name="Version">The console's saved version; 0 = configuration only.</param>
public sealed record FrontDoorShop(long Version, ShopWeek Week, IReadOnlyList<string> RingGroup);

/// <summary>
/// What the front door follows: configuration (<c>Business</c>, <c>Webhooks:RingGroup</c>) until the console's
/// settings arrive (<see cref="ShopSettingsChanged"/>), then the highest version seen. Kept in memory so the phones
/// ring whether or not PostgreSQL answers; the service's own copy in <c>webhooks.shop_settings</c> brings it back
/// after a restart.
/// </summary>
/// <remarks>
/// Note: hours and ring group swap together as one immutable snapshot, so a call never sees new hours with the old
/// ring group. The shared <see cref="ShopCalendar"/> is updated with it for anyone else who asks it.
/// </remarks>
public sealed class FrontDoorSettings
{
    private readonly Lock _gate = new();
    private readonly ShopCalendar _calendar;
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile FrontDoorShop _current;

    public FrontDoorSettings(IOptions<WebhookOptions> options, IOptions<PhoneOptions> phones, ShopCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(phones);
        ArgumentNullException.ThrowIfNull(calendar);
        _calendar = calendar;
        _current = new FrontDoorShop(0, calendar.Current, [.. options.Value.RingGroup.Select(n => Phone.NormalizeOrRaw(n, phones.Value.DefaultRegion))]);
    }

    public FrontDoorShop Current => _current;

    /// <summary>Completes once the stored copy (if any) has been read at start.</summary>
    public Task Loaded => _loaded.Task;

    public void MarkLoaded() => _loaded.TrySetResult();

    /// <summary>Puts a saved version in force unless this replica already has it or a newer one.</summary>
    public bool Apply(long version, string timeZone, IReadOnlyDictionary<string, string?> openHours, IReadOnlyList<string> ringGroup)
    {
        var week = ShopWeek.Create(timeZone, openHours);
        lock (_gate)
        {
            if (version <= _current.Version)
            {
                return false;
            }

            _current = new FrontDoorShop(version, week, [.. ringGroup]);
            _calendar.Apply(week);
            return true;
        }
    }
}

/// <summary>This service's copy of the console's shop settings (<c>webhooks.shop_settings</c>).</summary>
public sealed class ShopSettingsCopy(NpgsqlDataSource dataSource, FrontDoorSettings frontDoor)
{
    public const string ChangedChannel = "webhooks_settings";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Stores a newer version (and wakes the other replicas); false when the copy is already that new or newer.</summary>
    public async Task<bool> SaveAsync(ShopSettingsChanged change, DateTimeOffset receivedAt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        // Note: the WHERE on the upsert is the version ordering: an older (or the same) version changes no row.
        var stored = await c.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO webhooks.shop_settings (id, version, time_zone, open_hours, ring_group, updated_by, received_at)
            VALUES (true, @Version, @TimeZone, @OpenHours::jsonb, @RingGroup, @UpdatedBy, @At)
            ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, time_zone = EXCLUDED.time_zone, open_hours = EXCLUDED.open_hours,
                ring_group = EXCLUDED.ring_group, updated_by = EXCLUDED.updated_by, received_at = EXCLUDED.received_at
            WHERE webhooks.shop_settings.version < EXCLUDED.version
            """,
            new
            {
                change.Version, change.TimeZone, OpenHours = JsonSerializer.Serialize(change.OpenHours, Json), RingGroup = change.RingGroup.ToArray(),
                change.UpdatedBy, At = receivedAt,
            }, tx, cancellationToken: ct));
        if (stored == 0)
        {
            return false;
        }

        await c.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@Channel, @Version)",
            new { Channel = ChangedChannel, Version = change.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Reads the stored copy and puts it in force when it is newer than this replica's.</summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<(long Version, string TimeZone, string OpenHours, string[] RingGroup)?>(new CommandDefinition(
            "SELECT version, time_zone, open_hours::text, ring_group FROM webhooks.shop_settings", cancellationToken: ct));
        if (row is { } r)
        {
            frontDoor.Apply(r.Version, r.TimeZone, JsonSerializer.Deserialize<Dictionary<string, string?>>(r.OpenHours, Json)!, r.RingGroup);
        }
    }
}

/// <summary>The console saved new shop settings: keep the copy, follow its hours, zone and ring group.</summary>
public sealed partial class ShopSettingsChangedConsumer(ShopSettingsCopy copy, FrontDoorSettings frontDoor, TimeProvider time, ILogger<ShopSettingsChangedConsumer> logger)
    : IConsumer<ShopSettingsChanged>
{
    public async Task Consume(ConsumeContext<ShopSettingsChanged> context)
    {
        var change = context.Message;
        // Checked before storing: a change the calendar cannot read is refused (to the error queue), never stored.
        ShopWeek.Create(change.TimeZone, change.OpenHours);
        if (await copy.SaveAsync(change, time.GetUtcNow(), context.CancellationToken))
        {
            frontDoor.Apply(change.Version, change.TimeZone, change.OpenHours, change.RingGroup);
            LogApplied(change.Version, change.RingGroup.Count);
        }
        else
        {
            LogIgnored(change.Version);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shop settings version {Version} applied to the front door ({RingGroupSize} numbers in the ring group)")]
    private partial void LogApplied(long version, int ringGroupSize);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shop settings version {Version} ignored: the stored copy is that new or newer")]
    private partial void LogIgnored(long version);
}

/// <summary>
/// Brings this replica's front door to the stored copy: once migrations are done (start-up after a restart), and
/// whenever the replica that consumed an event stores a newer one (the event reaches one replica only).
/// </summary>
/// <remarks>
/// Note: LISTEN/NOTIFY, as the orchestrator's settings (<see cref="NotifiedCopy"/>). Until the first read the front
/// door answers from configuration, so the phones ring even while PostgreSQL is away.
/// </remarks>
public sealed partial class ShopSettingsCopyFeed(
    NpgsqlDataSource dataSource, ShopSettingsCopy copy, FrontDoorSettings frontDoor, BackgroundLoops loops, ILogger<ShopSettingsCopyFeed> logger)
    : NotifiedCopy(dataSource, loops, logger)
{
    protected override string Channel => ShopSettingsCopy.ChangedChannel;

    protected override string Name => "shop-settings-listener";

    // Note: its failures are logged once per outage and without a stack trace (the loops' rule): the capture path
    // already reports a PostgreSQL outage, and the front door keeps what it has meanwhile.
    protected override string Description => "Listening for shop settings changes";

    protected override Task ReadAsync(CancellationToken ct) => copy.LoadAsync(ct);

    protected override void OnListening(bool afterOutage) => frontDoor.MarkLoaded();

    protected override void OnReadFailed(Exception e) => LogReloadFailed(e.Message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the stored shop settings failed ({Error}); the next change or reconnect reads them again")]
    private partial void LogReloadFailed(string error);
}

/// <summary>
/// Not ready until the stored copy has been read once at start, so a restarted replica never rings configuration's
/// ring group after the console changed it. Afterwards it stays green: the front door answers from memory even
/// while PostgreSQL is away (readiness already requires PostgreSQL at start).
/// </summary>
public sealed class ShopSettingsCopyHealthCheck(FrontDoorSettings frontDoor) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(frontDoor.Loaded.IsCompleted
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("The stored shop settings are not loaded yet."));
}
