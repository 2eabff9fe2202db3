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
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
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
        }).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
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
        if (rest is not null && rest.Split('/').Any(segment => segment is "." or ".."))
        {
            return Problems.Create(400, "invalid-path", "The path may not contain dot segments.");
        }

        // Note: the path as the caller escaped it (a '+' of an E.164 number stays as sent), under the same prefix.
        var target = new Uri(http.Request.Path.ToUriComponent().TrimStart('/') + http.Request.QueryString.ToUriComponent(), UriKind.Relative);
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
            LogUnavailable(loggers.CreateLogger(typeof(ConsentForwarding)), e, http.Request.Method, http.Request.Path.Value ?? "");
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "The consent service did not answer {Method} {Path}")]
    private static partial void LogUnavailable(ILogger logger, Exception e, string method, string path);
}
