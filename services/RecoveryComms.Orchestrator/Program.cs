using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Background;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Hosting.Observability;
using RecoveryComms.Hosting;
using RecoveryComms.Orchestrator.Actions;
using RecoveryComms.Orchestrator.Alerts;
using RecoveryComms.Orchestrator.Attempts;
using RecoveryComms.Orchestrator.ConsentProxy;
using RecoveryComms.Orchestrator.Console;
using RecoveryComms.Orchestrator.Intake;
using RecoveryComms.Orchestrator.Integrations;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Owners;
using RecoveryComms.Orchestrator.Recordings;
using RecoveryComms.Orchestrator.Review;
using RecoveryComms.Orchestrator.Settings;
using RecoveryComms.Orchestrator.Sms;
using RecoveryComms.Orchestrator.Timers;
using RecoveryComms.Orchestrator.Users;
using RecoveryComms.Orchestrator.Views;
using RecoveryComms.Orchestrator;
using RecoveryComms.Telephony;

// Note: the orchestrator's one column-mapping rule, snake_case columns to PascalCase properties. It is global to
// Dapper, so it is set before anything runs a query: set lazily, a query that ran first would cache its mapping without it.
Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;

if (MigrateCommand.IsRequested(args))
{
    // `dotnet RecoveryComms.Orchestrator.dll migrate`: the schema's migrations as its owner, then exit (docs/security.md).
    Environment.ExitCode = await MigrateCommand.RunAsync(args, "orchestrator", typeof(OrchestratorEntryPoint).Assembly);
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("recoverycomms-orchestrator");

builder.Services.AddValidatedOptions<RecoveryOptions>(RecoveryOptions.Section);
builder.Services.AddValidatedOptions<BusinessOptions>(BusinessOptions.Section);
builder.Services.AddPostgres(builder.Configuration, "orchestrator", typeof(OrchestratorEntryPoint).Assembly);
builder.Services.AddOutbox("orchestrator");
builder.Services.AddRetention(CrmRetention.Steps);
builder.Services.AddOutboxMetrics();
builder.Services.AddTwilio();
builder.Services.AddApiKeyAuthentication(builder.Configuration, "orchestrator", acceptBootstrapKey: true);
builder.Services.AddSingleton<UserStore>();
builder.Services.AddSingleton<ShopCalendar>();

// Settings/: the shop settings a manager changes in the console, kept in step across replicas.
builder.Services.AddSingleton<ShopSettings>();
builder.Services.AddSingleton<SettingsStore>();
builder.Services.AddSingleton<SettingsFeed>();
builder.Services.AddHostedService(provider => provider.GetRequiredService<SettingsFeed>());
builder.Services.AddHealthChecks().AddCheck<SettingsHealthCheck>("settings", tags: ["ready"]);

// Queue/: items, their views and the live stream. Timers/: durable timers. Attempts/: calls and the one SMS.
builder.Services.AddSingleton<LoopClock>();
builder.Services.AddSingleton<ItemChanges>();
builder.Services.AddSingleton<ItemQueries>();
builder.Services.AddSingleton<ItemActions>();
builder.Services.AddSingleton<Contacts>();
builder.Services.AddSingleton<RecoveryIntake>();
builder.Services.AddSingleton<Rotation>();
builder.Services.AddSingleton<StaffAlerts>();
builder.Services.AddSingleton<StaffAlertSms>();
builder.Services.AddHostedService<StaffAlertSmsReconciler>();
builder.Services.AddHealthChecks().AddLoopCheck(StaffAlertSmsReconciler.LoopName);
builder.Services.AddSingleton<CallAttempts>();
builder.Services.AddSingleton<AttemptOutcomes>();
builder.Services.AddSingleton<RecoverySms>();
builder.Services.AddSingleton<ReviewQueries>();
builder.Services.AddSingleton<ItemFeed>();
builder.Services.AddHostedService(provider => provider.GetRequiredService<ItemFeed>());
builder.Services.AddHealthChecks().AddLoopCheck(ItemFeed.LoopName);
builder.Services.AddMetricsSource<StreamMetrics>();
builder.Services.AddSingleton<ITimerHandler, LoopTimers>();
builder.Services.AddSingleton<ITimerHandler, ShopTimers>();
builder.Services.AddSingleton<ITimerHandler, AttemptSettleTimer>();
builder.Services.AddSingleton<ITimerHandler, AttemptCheckTimer>();
builder.Services.AddSingleton<ITimerHandler, SmsRecheckTimer>();
builder.Services.AddSingleton<TimerWorker>();
builder.Services.AddHostedService(provider => provider.GetRequiredService<TimerWorker>());
builder.Services.AddValidatedOptions<TimerWorkerOptions>(TimerWorkerOptions.Section);
builder.Services.AddHealthChecks().AddLoopCheck(TimerWorker.LoopName, provider => provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<TimerWorkerOptions>>().Value.UnhealthyAfter);
builder.Services.AddHostedService<ShopTimerSeeder>();
builder.Services.AddTimerLag();

builder.Services.AddCrmWebhooks(builder.Configuration);
builder.Services.AddMetricsSource<CrmMetrics>();
builder.Services.AddConsentForwarding();
builder.Services.AddRecoveryCommsOpenApi("RecoveryComms Orchestrator");
builder.Services.AddRecoveryCommsBus(builder.Configuration.RabbitMq(), "orchestrator", bus =>
{
    bus.AddConsumer<ParkedMessagesReplayConsumer>();
    bus.AddConsumer<MissedCallConsumer>();
    bus.AddConsumer<AbandonedCallConsumer>();
    bus.AddConsumer<VoicemailConsumer>();
    bus.AddConsumer<VoicemailTranscribedConsumer>();
    bus.AddConsumer<InboundSmsConsumer>();
    bus.AddConsumer<SmsDeliveryConsumer>();
    bus.AddConsumer<AttemptStatusConsumer>();
    bus.AddConsumer<CallbackRecordingConsumer>();
    bus.AddConsumer<StaffAlertSmsConsumer>();
});

var app = builder.Build();
app.UseConsoleAssets();
app.UseAuthentication();
app.UseAuthorization();
app.MapServiceDefaults();
app.MapReplayErrorsEndpoint();
app.MapUserEndpoints();
app.MapIntegrationEndpoints();
app.MapOpenApi().AllowAnonymous();
app.MapWhoAmI();
app.MapQueueEndpoints();
app.MapStreamEndpoints();
app.MapRotationEndpoints();
app.MapReviewEndpoints();
app.MapRecordingEndpoints();
app.MapConsentForwarding();
app.MapSettingsEndpoints();
app.Run();

namespace RecoveryComms.Orchestrator
{
    /// <summary>Names this assembly for WebApplicationFactory in tests.</summary>
    public sealed class OrchestratorEntryPoint;
}
