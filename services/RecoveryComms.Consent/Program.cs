using RecoveryComms.Consent;
using RecoveryComms.Consent.Identity;
using RecoveryComms.Consent.Keywords;
using RecoveryComms.Consent.Ledger;
using RecoveryComms.Consent.Sending;
using RecoveryComms.Consent.Suppression;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Telephony;

if (MigrateCommand.IsRequested(args))
{
    // `dotnet RecoveryComms.Consent.dll migrate`: the schema's migrations as its owner, then exit (docs/security.md).
    Environment.ExitCode = await MigrateCommand.RunAsync(args, "consent", typeof(ConsentEntryPoint).Assembly);
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("recoverycomms-consent");

// What every service has: its schema, its outbox, retention, Twilio, a replica of the API keys.
builder.Services.AddPostgres(builder.Configuration, "consent", typeof(ConsentEntryPoint).Assembly);
builder.Services.AddOutbox("consent");
builder.Services.AddRetention(ConsentRetention.Steps);
builder.Services.AddTwilio();
builder.Services.AddApiKeyAuthentication(builder.Configuration, "consent", acceptBootstrapKey: false);
builder.Services.AddSingleton(new ApiKeyReplica("consent"));

// The consent service's features, one folder each.
builder.Services.AddConsentOptions();
builder.Services.AddAccounts();
builder.Services.AddConsentLedger();
builder.Services.AddKeywords();
builder.Services.AddSuppression();
builder.Services.AddSmsSending();
builder.Services.AddRecoveryCommsOpenApi("RecoveryComms Consent");
builder.Services.AddRecoveryCommsBus(builder.Configuration.RabbitMq(), "consent", bus =>
{
    bus.AddConsumer<ParkedMessagesReplayConsumer>();
    bus.AddConsumer<ApiKeyIssuedConsumer>();
    bus.AddConsumer<ApiKeyRevokedConsumer>();
    bus.AddConsumer<RecordOptOutConsumer>();
    bus.AddConsumer<InboundSmsConsentConsumer>();
    bus.AddConsumer<CarrierOptOutConsumer>();
    bus.AddConsumer<InboundCallConsentConsumer>();
    bus.AddConsumer<CheckSuppressionConsumer>();
    bus.AddConsumer<SendSmsConsumer>();
    bus.AddConsumer<DispositionConsumer>();
    bus.AddConsumer<ResolveContactConsumer>();
});

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapServiceDefaults();
app.MapReplayErrorsEndpoint();
app.MapWhoAmI();
app.MapAccountEndpoints();
app.MapConsentEndpoints();
app.MapSuppressionEndpoints();
app.MapSuppressionAdminEndpoints();
app.MapOpenApi().AllowAnonymous();
app.Run();

namespace RecoveryComms.Consent
{
    /// <summary>Names this assembly for WebApplicationFactory in tests.</summary>
    public sealed class ConsentEntryPoint;
}
