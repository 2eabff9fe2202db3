using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Data;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Orchestrator;
using RecoveryComms.Orchestrator.Integrations;
using RecoveryComms.Orchestrator.Users;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("recoverycomms-orchestrator");

builder.Services.AddPostgres(builder.Configuration, "orchestrator", typeof(OrchestratorEntryPoint).Assembly);
builder.Services.AddOutbox("orchestrator");
builder.Services.AddApiKeyAuthentication(builder.Configuration, "orchestrator", acceptBootstrapKey: true);
builder.Services.AddSingleton<UserStore>();
builder.Services.AddCrmWebhooks(builder.Configuration);
builder.Services.AddRecoveryCommsOpenApi("RecoveryComms Orchestrator");
builder.Services.AddRecoveryCommsBus(builder.Configuration.RabbitMq(), "orchestrator", bus =>
{
    // The recovery queue's consumers arrive with the orchestrator issue; users and keys only publish for now.
});

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapServiceDefaults();
app.MapUserEndpoints();
app.MapIntegrationEndpoints();
app.MapOpenApi().AllowAnonymous();
app.MapWhoAmI();
app.Run();

namespace RecoveryComms.Orchestrator
{
    /// <summary>Names this assembly for WebApplicationFactory in tests.</summary>
    public sealed class OrchestratorEntryPoint;
}
