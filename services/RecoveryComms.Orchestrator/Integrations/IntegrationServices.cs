using RecoveryComms.Hosting.Background;
using RecoveryComms.Hosting.Observability;

namespace RecoveryComms.Orchestrator.Integrations;

public static class IntegrationServices
{
    /// <summary>Outbound webhooks to the shop's CRM: subscriptions, the enqueue seam, the dispatcher and its HTTP client.</summary>
    public static IServiceCollection AddCrmWebhooks(this IServiceCollection s, IConfiguration c)
    {
        s.AddOptions<CrmWebhookOptions>().Bind(c.GetSection(CrmWebhookOptions.Section)).ValidateDataAnnotations()
            .Validate(o => o.AllowedNetworks.All(n => CrmWebhookOptions.ParseNetwork(n) is not null),
                $"{CrmWebhookOptions.Section}:AllowedNetworks takes CIDR networks (10.20.0.0/16, with no bits set after the prefix) or single addresses.")
            .ValidateOnStart();
        s.AddSingleton<CrmDestinations>();
        s.AddSingleton<WebhookStore>();
        s.AddSingleton<CrmWebhooks>();
        s.AddHostedService<WebhookDispatcher>();
        s.AddHealthChecks().AddLoopCheck(WebhookDispatcher.LoopName);
        s.AddMetricsSource<CrmMetrics>();

        // Note: no resilience handler. The dispatcher owns retries (durable, backed off over 24 hours, one attempt
        // per row lock); a handler retrying inside one attempt would hold the slot and the row for longer and
        // multiply deliveries. Redirects are not followed (a POST would turn into a GET), and the factory's own
        // request logs are off: the dispatcher logs each attempt once, with the URL's query string left out. Every
        // connection goes through CrmDestinations (no proxy, which would connect on our behalf unchecked), so no
        // delivery reaches a loopback, link-local or private address that AllowedNetworks does not name.
        s.AddHttpClient(WebhookDispatcher.HttpClientName, client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan; // the dispatcher's RequestTimeout bounds each attempt
                client.DefaultRequestHeaders.UserAgent.ParseAdd("RecoveryComms-Webhooks/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                ConnectCallback = services.GetRequiredService<CrmDestinations>().ConnectAsync,
            })
            .RemoveAllLoggers();
        return s;
    }
}
