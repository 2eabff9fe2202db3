using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Background;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Hosting.Observability;
using RecoveryComms.Telephony;
using RecoveryComms.Webhooks;
using RecoveryComms.Webhooks.Capture;
using RecoveryComms.Webhooks.Capture.Calls;
using RecoveryComms.Webhooks.Capture.Intake;
using RecoveryComms.Webhooks.Capture.Messages;
using RecoveryComms.Webhooks.FrontDoor;

if (MigrateCommand.IsRequested(args))
{
    // `dotnet RecoveryComms.Webhooks.dll migrate`: the schema's migrations as its owner, then exit (docs/security.md).
    Environment.ExitCode = await MigrateCommand.RunAsync(args, "webhooks", typeof(WebhookOptions).Assembly);
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("recoverycomms-webhooks");

var rabbit = builder.Configuration.RabbitMq();
builder.Services.AddTwilio();
builder.Services.AddValidatedOptions<WebhookOptions>(WebhookOptions.Section);
builder.Services.AddValidatedOptions<BusinessOptions>(BusinessOptions.Section);
builder.Services.AddPostgres(builder.Configuration, "webhooks", typeof(WebhookOptions).Assembly);
builder.Services.AddOutbox("webhooks");
builder.Services.AddRetention(WebhookRetention.Steps);
builder.Services.AddOutboxMetrics();
builder.Services.AddSingleton<ShopCalendar>();
builder.Services.AddSingleton<FrontDoorSettings>();
builder.Services.AddSingleton<ShopSettingsCopy>();
builder.Services.AddHostedService<ShopSettingsCopyFeed>();
builder.Services.AddHealthChecks().AddCheck<ShopSettingsCopyHealthCheck>("shop-settings", tags: ["ready"]);
builder.Services.AddSingleton<FrontDoorTwiml>();
builder.Services.AddSingleton<WebhookRoutes>();
builder.Services.AddSingleton<WebhookReader>();
builder.Services.AddSingleton<CallCapture>();
builder.Services.AddSingleton<MessageCapture>();
builder.Services.AddSingleton<CaptureProcessor>();
builder.Services.AddSingleton<WebhookSpool>();
builder.Services.AddSingleton<WebhookJournal>();
builder.Services.AddSingleton<WebhookKeeper>();
builder.Services.AddHostedService<OutageRecovery>();
builder.Services.AddHealthChecks().AddLoopCheck(OutageRecovery.LoopName);
builder.Services.AddSingleton<InboundOptOuts>();
builder.Services.AddSingleton<StorageOutage>();
builder.Services.AddSingleton<WebhookPipeline>();
builder.Services.AddMetricsSource<IntakeMetrics>();
// Ready while Twilio can be answered: the journal must be writable; PostgreSQL, the broker and the relay are
// reported but only as Degraded, because the spool and the journal exist to answer Twilio without them.
builder.Services.AddHealthChecks().AddCheck<JournalHealthCheck>("journal", tags: ["ready"]);
builder.Services.ReportAsDegradedOnly("postgres", "outbox", "masstransit-bus");
builder.Services.AddSingleton(new SpoolSettings($"{rabbit.EndpointPrefix}webhook-spool"));
builder.Services.AddRecoveryCommsBus(rabbit, "webhooks", bus =>
{
    bus.AddConsumer<ParkedMessagesReplayConsumer>();
    bus.AddConsumer<SpooledWebhookConsumer>(typeof(SpooledWebhookConsumerDefinition))
        .Endpoint(endpoint => endpoint.Name = $"{rabbit.EndpointPrefix}webhook-spool");
    bus.AddConsumer<ShopSettingsChangedConsumer>();
});

var app = builder.Build();
app.MapServiceDefaults();
app.MapTwilioWebhooks();
app.MapBenchmarkBaseline(app.Configuration);
app.Run();

namespace RecoveryComms.Webhooks
{
    /// <summary>Names this assembly for WebApplicationFactory in tests.</summary>
    public sealed class WebhooksEntryPoint;
}
