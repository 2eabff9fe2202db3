using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace RecoveryComms.Hosting;

/// <summary>
/// Every error answer of every service is <c>application/problem+json</c> with a stable <c>type</c> under
/// <see cref="Problems.TypeBase"/> (the contract: "Errors everywhere"): the endpoints' own problems, the API key
/// handler's 401 and 403, a body that is not valid JSON (400), and the empty answers of the framework (404, 405, 500),
/// whatever the client's <c>Accept</c> header says.
/// </summary>
public static class ProblemAnswers
{
    public static IServiceCollection AddProblemAnswers(this IServiceCollection services)
    {
        // Note: ahead of the framework's writer, which writes nothing for a client whose Accept names no JSON (a
        // browser's text/html): the 401 of a wrong key and every status-code page came back empty to such a client.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProblemDetailsWriter, ProblemJsonWriter>());
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            // A problem the code did not type (a status-code page, an exception) gets one of ours by its status.
            if (problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
            {
                problem.Type = Problems.TypeBase + Slug(problem.Status ?? context.HttpContext.Response.StatusCode);
            }
        });
        services.AddExceptionHandler<BadRequestProblems>();
        // Note: minimal APIs throw BadHttpRequestException for a body or parameter they cannot read in every
        // environment, not only in Development, so that the handler below answers it the same way everywhere.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>The problem type (after <see cref="Problems.TypeBase"/>) of an error nobody typed, by its status code.</summary>
    public static string Slug(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "bad-request",
        StatusCodes.Status401Unauthorized => "unauthorized",
        StatusCodes.Status403Forbidden => "forbidden",
        StatusCodes.Status404NotFound => "not-found",
        StatusCodes.Status405MethodNotAllowed => "method-not-allowed",
        StatusCodes.Status409Conflict => "conflict",
        StatusCodes.Status413PayloadTooLarge => "payload-too-large",
        StatusCodes.Status415UnsupportedMediaType => "unsupported-media-type",
        StatusCodes.Status422UnprocessableEntity => "unprocessable",
        StatusCodes.Status429TooManyRequests => "too-many-requests",
        StatusCodes.Status500InternalServerError => "internal-error",
        StatusCodes.Status503ServiceUnavailable => "unavailable",
        _ => $"http-{status}",
    };

    /// <summary>
    /// A request the framework could not read (a body that is not JSON, a parameter of the wrong shape): its own status
    /// (400, 413, 415) with what could not be read. Anything else is left to the default handler (a 500, logged).
    /// </summary>
    private sealed class BadRequestProblems(IProblemDetailsService problems) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not BadHttpRequestException bad)
            {
                return false;
            }

            var json = bad.InnerException is System.Text.Json.JsonException;
            httpContext.Response.StatusCode = bad.StatusCode;
            // Note: the outer message names the parameter ("Failed to read parameter … from the request body as JSON");
            // the inner one quotes the body, which may carry a phone number, so it is not repeated.
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = httpContext,
                Exception = exception,
                ProblemDetails =
                {
                    Status = bad.StatusCode,
                    Type = Problems.TypeBase + (json ? "invalid-json" : Slug(bad.StatusCode)),
                    Title = json ? "The request body is not valid JSON" : ReasonPhrases.GetReasonPhrase(bad.StatusCode),
                    Detail = bad.Message,
                },
            });
        }
    }

    /// <summary>Writes every problem as <c>application/problem+json</c>, as the framework's writer does for a client that accepts JSON.</summary>
    private sealed class ProblemJsonWriter(IOptions<ProblemDetailsOptions> options, IOptions<JsonOptions> json) : IProblemDetailsWriter
    {
        public bool CanWrite(ProblemDetailsContext context) => true;

        public ValueTask WriteAsync(ProblemDetailsContext context)
        {
            var http = context.HttpContext;
            var problem = context.ProblemDetails;
            problem.Status ??= http.Response.StatusCode;
            problem.Title ??= ReasonPhrases.GetReasonPhrase(problem.Status.Value);
            problem.Extensions.TryAdd("traceId", Activity.Current?.Id ?? http.TraceIdentifier);
            options.Value.CustomizeProblemDetails?.Invoke(context);
            return new ValueTask(http.Response.WriteAsJsonAsync(problem, problem.GetType(), json.Value.SerializerOptions, "application/problem+json", http.RequestAborted));
        }
    }
}
