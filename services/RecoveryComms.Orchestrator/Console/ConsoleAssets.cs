namespace RecoveryComms.Orchestrator.Console;

/// <summary>
/// Serves the console (wwwroot: one HTML page, its stylesheet and its scripts) at <c>/</c>. The assets are public and
/// hold no data: every piece of data the page shows comes from the API with the user's key, so the static files are
/// served before authentication. A strict content security policy keeps the page to its own scripts and origin.
/// The console's own API route (<see cref="ConsoleEndpoints"/>) is mapped here too, so the feature has one entry.
/// </summary>
public static class ConsoleAssets
{
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    public static WebApplication UseConsoleAssets(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                if (!context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
                {
                    headers.ContentSecurityPolicy = ContentSecurityPolicy;
                    headers.XFrameOptions = "DENY";
                }

                return Task.CompletedTask;
            });
            await next(context);
        });
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            // Note: the page and its scripts change with each deploy and are small; revalidating keeps a shop from
            // running yesterday's script against today's API.
            OnPrepareResponse = static file => file.Context.Response.Headers.CacheControl = "no-cache",
        });
        app.MapConsoleEndpoints();
        return app;
    }
}
