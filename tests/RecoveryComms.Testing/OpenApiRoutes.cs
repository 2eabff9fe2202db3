using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace RecoveryComms.Testing;

/// <summary>Routes as "METHOD /path" (route constraints dropped), from a service's OpenAPI document or its endpoint table.</summary>
public static class OpenApiRoutes
{
    /// <summary>Every operation of <c>/openapi/v1.json</c>, fetched without a key.</summary>
    public static async Task<(JsonElement Document, IReadOnlySet<string> Routes)> DocumentedAsync(HttpClient service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var document = await service.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var routes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                routes.Add($"{operation.Name.ToUpperInvariant()} {Normalize(path.Name)}");
            }
        }

        return (document, routes);
    }

    /// <summary>Every route the running service answers under <c>/api</c>.</summary>
    public static IReadOnlySet<string> Implemented(IServiceProvider services)
    {
        var routes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var path = "/" + endpoint.RoutePattern.RawText?.TrimStart('/');
            if (!path.StartsWith("/api/", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            {
                routes.Add($"{method} {Normalize(path)}");
            }
        }

        return routes;
    }

    /// <summary><c>/api/x/{id:guid}/</c> → <c>/api/x/{id}</c>; a catch-all <c>{**rest}</c> → <c>{rest}</c>.</summary>
    public static string Normalize(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var segments = path.Trim('/').Split('/')
            .Select(s => s.StartsWith('{') ? "{" + s.TrimStart('{', '*') : s)
            .Select(s => s.StartsWith('{') && s.Contains(':', StringComparison.Ordinal) ? s[..s.IndexOf(':', StringComparison.Ordinal)] + "}" : s);
        return "/" + string.Join('/', segments);
    }
}
