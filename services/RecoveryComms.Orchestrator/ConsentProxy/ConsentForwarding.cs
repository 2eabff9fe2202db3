using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using RecoveryComms.Hosting;
using RecoveryComms.Hosting.Auth;

namespace RecoveryComms.Orchestrator.ConsentProxy;

/// <summary>Where the consent service answers, for the console's consent pages (<c>Consent:*</c>).</summary>
public sealed class ConsentProxyOptions
{
    public const string Section = "Consent";

    [Required]
    [Url]
    public string BaseUrl { get; set; } = "http://127.0.0.1:5082";

    /// <summary>How long to wait for the consent service's headers (a CSV export then streams as long as it takes).</summary>
    [TimeSpanRange("00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// <c>/api/consent/{**rest}</c> passed on to the consent service, so the browser console talks to one origin. Only
/// compliance, managers and admins get through (a CSR is refused here and never reaches consent); consent then applies
/// its own per-route policies to the caller's own key. Bodies stream both ways; only the caller's <c>Authorization</c>,
/// <c>Accept</c> and content headers go out (no cookies, no hop-by-hop headers), and hop-by-hop headers and cookies
/// are dropped from the answer.
/// </summary>
public static partial class ConsentForwarding
{
    /// <summary>The named HttpClient the forwarder uses; tests give it the consent test server's handler.</summary>
    public const string HttpClientName = "consent";

    private static readonly HashSet<string> ResponseHeadersDropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding",
        "Upgrade", "Set-Cookie",
    };

    public static IServiceCollection AddConsentForwarding(this IServiceCollection services)
    {
        services.AddValidatedOptions<ConsentProxyOptions>(ConsentProxyOptions.Section);
        services.AddHttpClient(HttpClientName, (provider, http) =>
        {
            var options = provider.GetRequiredService<IOptions<ConsentProxyOptions>>().Value;
            http.BaseAddress = new Uri(options.BaseUrl.TrimEnd('/') + "/");
            http.Timeout = options.Timeout;
        }).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
            // The client's own request logging would write the path, and the path holds the number looked up.
            .RemoveAllLoggers();
        return services;
    }

    public static IEndpointRouteBuilder MapConsentForwarding(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods("/api/consent/{**rest}", [HttpMethods.Get, HttpMethods.Post], ForwardAsync)
            .RequireAuthorization(Policies.ConsentStaff)
            .Produces(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status502BadGateway)
            .WithSummary("The consent service's /api/consent routes, passed on (compliance, manager, admin; consent applies its own roles per route).");
        return endpoints;
    }

    private static async Task<IResult> ForwardAsync(string? rest, HttpContext http, IHttpClientFactory clients, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(http);
        var ct = http.RequestAborted;
        // Note: only the consent service's own /api/consent routes are passed on, by name: a number, or one of the
        // ledger's routes. Checking for dot segments was not enough: "%252e%252e" arrives here as "%2e%2e" and the
        // consent service's server decodes it into ".." after routing has been left behind. The one segment is
        // escaped again on the way out, so what consent receives is exactly what was checked here.
        if (rest is null || !ForwardedRoute().IsMatch(rest))
        {
            return Problems.Create(400, "invalid-path", "Only the consent routes are passed on: /api/consent/{phone}, events, events.csv, verify, checkpoints.");
        }

        var target = new Uri("api/consent/" + Uri.EscapeDataString(rest) + http.Request.QueryString.ToUriComponent(), UriKind.Relative);
        using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), target);
        if (http.Request.Headers.Authorization is { Count: > 0 } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", (IEnumerable<string>)authorization!);
        }

        if (http.Request.Headers.Accept is { Count: > 0 } accept)
        {
            request.Headers.TryAddWithoutValidation("Accept", (IEnumerable<string>)accept!);
        }

        if (HttpMethods.IsPost(http.Request.Method))
        {
            request.Content = new StreamContent(http.Request.Body);
            if (http.Request.ContentType is { } contentType)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }

            if (http.Request.ContentLength is { } length)
            {
                request.Content.Headers.ContentLength = length;
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            LogUnavailable(loggers.CreateLogger(typeof(ConsentForwarding)), e, http.Request.Method, char.IsLetter(rest[0]) ? rest : "{phone}");
            return Problems.Create(502, "consent-unavailable", "The consent service did not answer; try again in a moment.");
        }

        using (response)
        {
            http.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                if (!ResponseHeadersDropped.Contains(header.Key))
                {
                    http.Response.Headers[header.Key] = header.Value.ToArray();
                }
            }

            await using var body = await response.Content.ReadAsStreamAsync(ct);
            await body.CopyToAsync(http.Response.Body, ct);
        }

        return Results.Empty;
    }

    /// <summary>The routes passed on: a phone number in any common format, or one of the ledger's named routes.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^(events|events\.csv|verify|checkpoints|[+0-9() .\-]{3,32})$")]
    private static partial System.Text.RegularExpressions.Regex ForwardedRoute();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The consent service did not answer {Method} /api/consent/{Route}")]
    private static partial void LogUnavailable(ILogger logger, Exception e, string method, string route);
}
