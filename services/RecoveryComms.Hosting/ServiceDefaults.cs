using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using RecoveryComms.Hosting.Background;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Hosting;

/// <summary>What every RecoveryComms service starts with: logging, metrics, tracing, problem details, health, time.</summary>
public static class ServiceDefaults
{
    /// <summary>The activity sources a trace crosses: MassTransit's and the outbox relay's.</summary>
    public static readonly string[] TracingSources = ["MassTransit", "RecoveryComms.Outbox"];

    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        DevelopmentSecrets.Check(builder.Configuration, builder.Environment);
        builder.Logging.ClearProviders().AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
            console.UseUtcTimestamp = true;
        });
        // Note: readiness is logged once per change by ReadinessLog, not once per probe and check by the health check service.
        builder.Logging.AddFilter(Observability.ReadinessLog.HealthCheckServiceCategory, LogLevel.None);
        builder.Services.AddProblemAnswers();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHealthChecks();
        builder.Services.AddBackgroundLoops();
        builder.Services.AddPhoneOptions();
        builder.Services.AddSingleton<Observability.ReadinessLog>();

        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService(serviceName));

        // Note: metrics are always on, unlike tracing: a gauge costs nothing until Prometheus scrapes /metrics, and
        // an operator needs timer lag and outbox age most exactly when nobody thought to turn anything on. Every
        // component's meter is named RecoveryComms.<Component>, so the wildcard exports any new one.
        telemetry.WithMetrics(metrics => metrics
            .AddMeter(Observability.Metrics.MeterNames)
            .AddAspNetCoreInstrumentation()
            // The runtime's own meter (GC, thread pool, exceptions); built into .NET 9 and later, no package needed.
            .AddMeter("System.Runtime")
            .AddPrometheusExporter());

        // Note: tracing is on when there is somewhere to send it (OTEL_EXPORTER_OTLP_ENDPOINT). Recording spans
        // for nobody cost a measured share of webhook throughput (docs/benchmarks.md); with no listener there is
        // no trace context, and the outbox simply carries none.
        if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.WithTracing(tracer => tracer
                // The trace of a webhook runs HTTP request → outbox row → relay publish → consumer.
                .AddAspNetCoreInstrumentation(options => options.Filter = context =>
                    !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/metrics"))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource(TracingSources)
                // Before the exporter: spans carry route templates, never a phone number from a request path.
                .AddProcessor(new Observability.RouteTemplateSpans())
                .AddOtlpExporter());
        }

        return builder;
    }

    /// <summary>Binds a section and validates it at start-up, so a bad setting stops the service with a clear message.</summary>
    public static IServiceCollection AddValidatedOptions<T>(this IServiceCollection services, string section)
        where T : class
    {
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    /// <summary>
    /// <c>/health/live</c> (the process answers), <c>/health/ready</c> (it can do its job; each check's status and
    /// description in the JSON body) and <c>/metrics</c> (Prometheus text format).
    /// </summary>
    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Health is anonymous on purpose (load balancers carry no key); every other route states its policy, and
        // a route that forgets gets the fallback policy (a staff key), never an open door.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = Observability.HealthJson.WriteAsync,
            ResultStatusCodes =
            {
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy] = StatusCodes.Status200OK,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded] = StatusCodes.Status200OK,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        }).AllowAnonymous();
        // Note: anonymous like health, because Prometheus carries no key; the figures are operational (ages, depths,
        // counts; no phone number, no item), and /metrics is meant to be bound to loopback or a private network
        // (docs/operations.md), never published beside the Twilio routes.
        app.MapPrometheusScrapingEndpoint().AllowAnonymous();
        return app;
    }

    /// <summary>Reads the broker settings once, validated.</summary>
    public static Messaging.RabbitMqOptions RabbitMq(this IConfiguration configuration)
    {
        var options = configuration.GetSection(Messaging.RabbitMqOptions.Section).Get<Messaging.RabbitMqOptions>() ?? new Messaging.RabbitMqOptions();
        System.ComponentModel.DataAnnotations.Validator.ValidateObject(options, new(options), validateAllProperties: true);
        return options;
    }
}

/// <summary>RFC 7807 answers with stable <c>type</c> URIs.</summary>
public static class Problems
{
    public const string TypeBase = "https://recoverycomms.dev/problems/";

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Create(int status, string slug, string title, string? detail = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypeBase + slug);
}
