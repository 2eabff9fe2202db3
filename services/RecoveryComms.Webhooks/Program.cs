using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Hosting.Observability;
using RecoveryComms.Telephony;
using RecoveryComms.Webhooks;
using RecoveryComms.Webhooks.Capture;
using RecoveryComms.Webhooks.Capture.Intake;
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
var spool = $"{rabbit.EndpointPrefix}webhook-spool";

// What every service has: its schema, its outbox, retention, Twilio, the shop's calendar.
builder.Services.AddPostgres(builder.Configuration, "webhooks", typeof(WebhookOptions).Assembly);
builder.Services.AddOutbox("webhooks");
builder.Services.AddRetention(WebhookRetention.Steps);
builder.Services.AddTwilio();
builder.Services.AddShopCalendar();

// The webhooks service's features.
builder.Services.AddValidatedOptions<WebhookOptions>(WebhookOptions.Section);
builder.Services.AddFrontDoor();
builder.Services.AddCapture(spool);
// Ready while Twilio can be answered: the journal must be writable; PostgreSQL, the broker and the relay are
// reported but only as Degraded, because the spool and the journal exist to answer Twilio without them.
builder.Services.ReportAsDegradedOnly("postgres", "outbox", "masstransit-bus");
builder.Services.AddRecoveryCommsBus(rabbit, "webhooks", bus =>
{
    bus.AddConsumer<ParkedMessagesReplayConsumer>();
    bus.AddConsumer<SpooledWebhookConsumer>(typeof(SpooledWebhookConsumerDefinition))
        .Endpoint(endpoint => endpoint.Name = spool);
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
