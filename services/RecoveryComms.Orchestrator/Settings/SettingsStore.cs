using System.Text.Json.Serialization;
using System.Text.Json;
using Dapper;
using Npgsql;
using RecoveryComms.Contracts.Settings;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Settings;

/// <summary>
/// Owns <c>orchestrator.shop_settings</c> (the saved settings row) and <c>orchestrator.shop_settings_history</c> (the
/// only class with their SQL). A save, its history row, the
/// <see cref="ShopSettingsChanged"/> event (outbox), the re-armed end-of-day timer and the NOTIFY that wakes the
/// other replicas commit together or not at all.
/// </summary>
public sealed class SettingsStore(NpgsqlDataSource dataSource, ShopSettings settings, Outbox outbox, TimeProvider time)
{
    public const string ChangedChannel = "orchestrator_settings";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Reads the saved row and puts it in force when it is newer than what this replica has.</summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT settings::text AS settings, version, updated_by, updated_at FROM orchestrator.shop_settings", cancellationToken: ct));
        if (row is not null)
        {
            settings.Apply(row.Version, JsonSerializer.Deserialize<ShopSettingsDocument>(row.Settings, Json),
                row.UpdatedBy, new DateTimeOffset(DateTime.SpecifyKind(row.UpdatedAt, DateTimeKind.Utc)));
        }
    }

    /// <summary>
    /// Saves a validated document over the version the manager edited; null when that version is no longer the
    /// saved one (someone saved in between).
    /// </summary>
    public async Task<EffectiveSettings?> SaveAsync(ShopSettingsDocument document, long edited, string by, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(document);
        var stored = JsonSerializer.Serialize(document with { Version = null, UpdatedAt = null, UpdatedBy = null }, Json);
        var now = time.GetUtcNow();
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        // Note: optimistic concurrency on the version column. The first save inserts the single row (a second first
        // save conflicts on the primary key and inserts nothing); later saves update only the version they edited.
        var version = await c.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            edited == 0
                ? """
                  INSERT INTO orchestrator.shop_settings (settings, version, updated_by, updated_at) VALUES (@Settings::jsonb, 1, @By, @At)
                  ON CONFLICT (id) DO NOTHING RETURNING version
                  """
                : """
                  UPDATE orchestrator.shop_settings SET settings = @Settings::jsonb, version = version + 1, updated_by = @By, updated_at = @At
                  WHERE version = @Edited RETURNING version
                  """,
            new { Settings = stored, By = by, At = now, Edited = edited }, tx, cancellationToken: ct));
        if (version is not { } saved)
        {
            return null;
        }

        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO orchestrator.shop_settings_history (version, settings, updated_by, updated_at) VALUES (@Version, @Settings::jsonb, @By, @At)",
            new { Version = saved, Settings = stored, By = by, At = now }, tx, cancellationToken: ct));
        var week = ShopWeek.Create(document.TimeZone!, document.OpenHours!);
        await outbox.EnqueueAsync(c, tx, new ShopSettingsChanged(Guid.NewGuid(), saved, document.TimeZone!, document.OpenHours!, document.RingGroup!, by, now), ct);
        // The end-of-day review follows the new hours from today's close on.
        await TimerStore.ArmShopAsync(c, tx, TimerKinds.EndOfDay, ShopTimers.NextEndOfDay(week, now), ct);
        await c.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@Channel, @Version)",
            new { Channel = ChangedChannel, Version = saved.ToString(System.Globalization.CultureInfo.InvariantCulture) }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);

        settings.Apply(saved, document, by, now);
        return settings.Current;
    }

    /// <summary>Every saved version, newest first: who changed what, and when.</summary>
    public async Task<IReadOnlyList<SettingsVersion>> HistoryAsync(int limit, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition(
            "SELECT settings::text AS settings, version, updated_by, updated_at FROM orchestrator.shop_settings_history ORDER BY version DESC LIMIT @Limit",
            new { Limit = limit }, cancellationToken: ct));
        return [.. rows.Select(r => new SettingsVersion(r.Version, r.UpdatedBy, new DateTimeOffset(DateTime.SpecifyKind(r.UpdatedAt, DateTimeKind.Utc)),
            JsonSerializer.Deserialize<ShopSettingsDocument>(r.Settings, Json)!))];
    }

    private sealed class Row
    {
        public string Settings { get; init; } = "";

        public long Version { get; init; }

        public string UpdatedBy { get; init; } = "";

        public DateTime UpdatedAt { get; init; }
    }
}

/// <summary>One saved version of the settings: what was saved, by whom, when.</summary>
public sealed record SettingsVersion(long Version, string UpdatedBy, DateTimeOffset UpdatedAt, ShopSettingsDocument Settings);

/// <summary>
/// Keeps this replica's settings in step with the database: reads the saved row once migrations are done (the
/// readiness check stays red until then), and again whenever another replica saves (LISTEN/NOTIFY, see
/// <see cref="Hosting.Data.NotifiedCopy"/>; a poll would cost every replica a query a second and still lag).
/// </summary>
public sealed partial class SettingsFeed(
    NpgsqlDataSource dataSource, SettingsStore store, ShopSettings settings, Hosting.Background.BackgroundLoops loops, ILogger<SettingsFeed> logger)
    : Hosting.Data.NotifiedCopy(dataSource, loops, logger)
{
    protected override string Channel => SettingsStore.ChangedChannel;

    protected override string Name => "settings-listener";

    protected override string Description => "Listening for settings changes";

    protected override Task ReadAsync(CancellationToken ct) => store.LoadAsync(ct);

    /// <summary>Only a version newer than the one in force (this replica's own save is in force already).</summary>
    protected override bool Wants(string payload) => long.TryParse(payload, out var version) && version > settings.Current.Version;

    protected override void OnListening(bool afterOutage) => settings.MarkLoaded();

    protected override void OnReadFailed(Exception e) => LogReloadFailed(e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the changed shop settings failed")]
    private partial void LogReloadFailed(Exception e);
}

/// <summary>Not ready until the saved settings are loaded (items would otherwise get configuration's due times).</summary>
public sealed class SettingsHealthCheck(ShopSettings settings, SettingsFeed feed) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!settings.Loaded.IsCompleted
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("The saved shop settings are not loaded yet.")
            : feed.Listening
                ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
                : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Degraded("Not listening for settings changes; reconnecting."));
}
