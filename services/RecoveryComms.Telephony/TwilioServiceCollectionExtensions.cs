using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using RecoveryComms.Telephony.Rest;

namespace RecoveryComms.Telephony;

/// <summary>Registers the Twilio layer.</summary>
public static class TwilioServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="TwilioOptions"/> from configuration (validated at start-up) and registers
    /// <see cref="ITwilioRestClient"/> with retries on 429 and 5xx.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="retryBaseDelay">The first back-off delay; later ones grow exponentially with jitter.</param>
    public static IServiceCollection AddTwilio(this IServiceCollection services, TimeSpan? retryBaseDelay = null)
    {
        services.AddOptions<TwilioOptions>().BindConfiguration(TwilioOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient<ITwilioRestClient, TwilioRestClient>()
            .AddResilienceHandler("twilio", pipeline => pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                // Note: 429 means Twilio did not process the request, so a retry is always safe. A 5xx on a
                // create may have been processed; the issue asks for it to be retried too, so the callers
                // that must not act twice (the one SMS of a loop) persist their intent first and reconcile.
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is HttpRequestException
                    || args.Outcome.Result is { StatusCode: HttpStatusCode.TooManyRequests }
                    || args.Outcome.Result is { StatusCode: >= HttpStatusCode.InternalServerError }),
                MaxRetryAttempts = 3,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retryBaseDelay ?? TimeSpan.FromMilliseconds(500),
            }));
        return services;
    }
}
