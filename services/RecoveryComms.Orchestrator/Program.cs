using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Hosting.Messaging;
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

// What every service has: its schema, its outbox, retention, Twilio, API keys, the shop's calendar.
builder.Services.AddPostgres(builder.Configuration, "orchestrator", typeof(OrchestratorEntryPoint).Assembly);
builder.Services.AddOutbox("orchestrator");
builder.Services.AddRetention(CrmRetention.Steps);
builder.Services.AddTwilio();
builder.Services.AddApiKeyAuthentication(builder.Configuration, "orchestrator", acceptBootstrapKey: true);
builder.Services.AddShopCalendar();

// The orchestrator's features, one folder each.
builder.Services.AddValidatedOptions<RecoveryOptions>(RecoveryOptions.Section);
builder.Services.AddShopSettings();
builder.Services.AddItems();
builder.Services.AddIntake();
builder.Services.AddOwners();
builder.Services.AddViews();
builder.Services.AddActions();
builder.Services.AddAttempts();
builder.Services.AddRecoverySms();
builder.Services.AddStaffAlerts();
builder.Services.AddTimers();
builder.Services.AddReview();
builder.Services.AddUsers();
builder.Services.AddCrmWebhooks(builder.Configuration);
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
