using RecoveryComms.Consent;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Hosting.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("recoverycomms-consent");

builder.Services.AddPostgres(builder.Configuration, "consent", typeof(ConsentEntryPoint).Assembly);
builder.Services.AddApiKeyAuthentication(builder.Configuration, "consent", acceptBootstrapKey: false);
builder.Services.AddSingleton(new ApiKeyReplica("consent"));
builder.Services.AddRecoveryCommsBus(builder.Configuration.RabbitMq(), "consent", bus =>
{
    bus.AddConsumer<ApiKeyIssuedConsumer>();
    bus.AddConsumer<ApiKeyRevokedConsumer>();
});

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapServiceDefaults();
app.MapWhoAmI();
app.Run();

namespace RecoveryComms.Consent
{
    /// <summary>Names this assembly for WebApplicationFactory in tests.</summary>
    public sealed class ConsentEntryPoint;
}
