using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;
using RecoveryComms.Telephony.Rest;

namespace RecoveryComms.Telephony;

/// <summary>Registers the Twilio layer.</summary>
public static class TwilioServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="TwilioOptions"/> from configuration (validated at start-up) and registers
    /// <see cref="ITwilioRestClient"/> with a per-request timeout (<see cref="TwilioOptions.RequestTimeout"/>) and
    /// retries that never repeat what Twilio may have done: a read is retried on 429, 5xx, network errors and
    /// timeouts; a call create only on 429; a message create never.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="retryBaseDelay">The first back-off delay; later ones grow exponentially with jitter.</param>
    public static IServiceCollection AddTwilio(this IServiceCollection services, TimeSpan? retryBaseDelay = null)
    {
        services.AddOptions<TwilioOptions>().BindConfiguration(TwilioOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient<ITwilioRestClient, TwilioRestClient>()
            .AddResilienceHandler("twilio", (pipeline, context) =>
            {
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Context.GetRequestMessage(), args.Outcome)),
                    MaxRetryAttempts = 3,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = retryBaseDelay ?? TimeSpan.FromMilliseconds(500),
                });
                // Inside the retry, so each attempt gets the whole timeout.
                pipeline.AddTimeout(context.ServiceProvider.GetRequiredService<IOptions<TwilioOptions>>().Value.RequestTimeout);
            });
        return services;
    }

    /// <summary>Whether a failed attempt may be sent again without the risk of Twilio acting twice.</summary>
    internal static bool ShouldRetry(HttpRequestMessage? request, Outcome<HttpResponseMessage> outcome)
    {
        // Note: 429 (error 20429) means Twilio did not process the request, so repeating it is safe.
        var tooManyRequests = outcome.Result is { StatusCode: HttpStatusCode.TooManyRequests };
        if (request?.Method == HttpMethod.Get)
        {
            return tooManyRequests
                || outcome.Exception is HttpRequestException or TimeoutRejectedException
                || outcome.Result is { StatusCode: >= HttpStatusCode.InternalServerError };
        }

        // Note: a create has no idempotency key at Twilio (shared/docs/twilio-facts.md §4.5). After a 5xx, a timeout
        // or a dropped connection it may have been done, so it is never repeated here: the caller settles it by
        // looking it up. A message create is not retried even after a 429: the SMS gate wants one attempt per
        // claimed send, and a 429 comes back to it as a plain refusal.
        var messageCreate = request?.RequestUri?.AbsolutePath.EndsWith("/Messages.json", StringComparison.Ordinal) ?? true;
        return tooManyRequests && !messageCreate;
    }
}
