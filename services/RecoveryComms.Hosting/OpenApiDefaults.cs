using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using RecoveryComms.Hosting.Auth;

namespace RecoveryComms.Hosting;

/// <summary>
/// The OpenAPI document every RecoveryComms API serves at <c>/openapi/v1.json</c>, so a CRM can generate a
/// client: the bearer API-key scheme on every route that needs a key, and the <c>application/problem+json</c>
/// answers those routes give (401 and 403 from authentication, and the body status-code pages and the exception
/// handler write for every other error status).
/// </summary>
public static class OpenApiDefaults
{
    public const string DocumentPath = "/openapi/v1.json";
    private const string ProblemContentType = "application/problem+json";
    private const string ProblemSchema = "ProblemDetails";

    public static IServiceCollection AddRecoveryCommsOpenApi(this IServiceCollection services, string title) =>
        services.AddOpenApi("v1", options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = title;
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[ApiKeyAuthenticationHandler.SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "API key",
                    Description = "`Authorization: Bearer <API key>`. Keys are issued by POST /api/users (shown once) and carry the user's role.",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(async (operation, context, ct) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                var document = context.Document!;
                if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, document)] = [] });
                    operation.Responses ??= [];
                    operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No API key, or an unknown or revoked one." });
                    operation.Responses.TryAdd("403", new OpenApiResponse { Description = "The key's role may not use this route." });
                }

                if (operation.Responses is null)
                {
                    return;
                }

                foreach (var (status, response) in operation.Responses)
                {
                    if (status.Length == 3 && status[0] is '4' or '5' && response is OpenApiResponse { Content: null or { Count: 0 } } bare)
                    {
                        document.Components ??= new OpenApiComponents();
                        if (document.Components.Schemas?.ContainsKey(ProblemSchema) != true)
                        {
                            document.AddComponent(ProblemSchema, await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, ct));
                        }

                        bare.Content = new Dictionary<string, OpenApiMediaType>
                        {
                            [ProblemContentType] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
                        };
                    }
                }
            });
        });
}
