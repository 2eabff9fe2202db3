using System.ComponentModel.DataAnnotations;
using System.Net;
using RecoveryComms.Proxy;

// The contract ports 5080–5082 in front of N replicas of each service (./infra/dev.sh up --replicas N, compose's replicas
// profile; docs/deploy.md). Usage: RecoveryComms.Proxy --replicas 2 (or Proxy__Replicas, Proxy__ReplicaUrl, Proxy__ListenAddress).
var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCommandLine(args, ProxyOptions.Switches);
var options = builder.Configuration.GetSection(ProxyOptions.Section).Get<ProxyOptions>() ?? new ProxyOptions();
Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);

builder.WebHost.ConfigureKestrel(kestrel =>
{
    foreach (var (_, port) in ReplicaLayout.Services)
    {
        kestrel.Listen(IPAddress.Parse(options.ListenAddress), port);
    }
});
builder.Services.AddReverseProxy().LoadFromMemory(ReplicaLayout.Routes(), ReplicaLayout.Clusters(options));

var app = builder.Build();
// Note: each route matches the port a request came in on (ReplicaLayout.ListenerHeader), so this runs before routing.
app.Use((context, next) =>
{
    context.Request.Headers[ReplicaLayout.ListenerHeader] = context.Connection.LocalPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
    return next(context);
});
app.UseRouting();
app.MapReverseProxy(proxy =>
{
    proxy.Use(ConnectRetry.InvokeAsync);
    proxy.UseLoadBalancing();
    proxy.UsePassiveHealthChecks();
});
app.Run();
