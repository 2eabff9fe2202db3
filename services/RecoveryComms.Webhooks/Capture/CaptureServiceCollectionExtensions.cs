using RecoveryComms.Hosting.Background;
using RecoveryComms.Hosting.Observability;
using RecoveryComms.Webhooks.Capture.Calls;
using RecoveryComms.Webhooks.Capture.Intake;
using RecoveryComms.Webhooks.Capture.Messages;

namespace RecoveryComms.Webhooks.Capture;

public static class CaptureServiceCollectionExtensions
{
    /// <summary>
    /// Every Twilio route and what capture does with it, and how a webhook is kept whatever is down: stored, else
    /// spooled on <paramref name="spoolQueue"/>, else journaled (replayed by a loop), with the outage tracker and the
    /// intake figures. Readiness requires the journal to be writable.
    /// </summary>
    public static IServiceCollection AddCapture(this IServiceCollection services, string spoolQueue)
    {
        services.AddSingleton<WebhookRoutes>();
        services.AddSingleton<WebhookReader>();
        services.AddSingleton<CallCapture>();
        services.AddSingleton<MessageCapture>();
        services.AddSingleton<CaptureProcessor>();
        services.AddSingleton<InboundOptOuts>();
        services.AddSingleton<WebhookPipeline>();
        services.AddSingleton(new SpoolSettings(spoolQueue));
        services.AddSingleton<WebhookSpool>();
        services.AddSingleton<WebhookJournal>();
        services.AddSingleton<WebhookKeeper>();
        services.AddSingleton<StorageOutage>();
        services.AddHostedService<OutageRecovery>();
        services.AddHealthChecks().AddLoopCheck(OutageRecovery.LoopName);
        services.AddHealthChecks().AddCheck<JournalHealthCheck>("journal", tags: ["ready"]);
        services.AddMetricsSource<IntakeMetrics>();
        return services;
    }
}
