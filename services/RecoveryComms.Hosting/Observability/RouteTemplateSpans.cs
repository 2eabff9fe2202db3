using System.Diagnostics;
using OpenTelemetry;

namespace RecoveryComms.Hosting.Observability;

/// <summary>
/// Keeps phone numbers in request paths (<c>/api/consent/+13125550142</c>, <c>/api/numbers/{phone}/flags</c>) out of
/// the trace backend. A server span's <c>url.path</c> becomes its route template (<c>/api/consent/{phone}</c>) and its
/// name <c>GET /api/consent/{phone}</c>; a request no route matched, and an outgoing request's <c>url.full</c> (the
/// orchestrator forwarding to the consent service), keep their path with every phone-like segment replaced by
/// <c>{phone}</c>. Query strings are redacted by the instrumentations themselves (their default).
/// </summary>
public sealed class RouteTemplateSpans : BaseProcessor<Activity>
{
    public const string Placeholder = "{phone}";

    public override void OnEnd(Activity data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Kind == ActivityKind.Server && data.GetTagItem("url.path") is string path)
        {
            var method = data.GetTagItem("http.request.method") as string;
            if (data.GetTagItem("http.route") is string { Length: > 0 } route)
            {
                data.SetTag("url.path", route);
                data.DisplayName = method is null ? route : $"{method} {route}";
            }
            else
            {
                data.SetTag("url.path", RedactPath(path));
                data.DisplayName = method ?? "HTTP";
            }
        }

        if (data.GetTagItem("url.full") is string full && Uri.TryCreate(full, UriKind.Absolute, out var uri))
        {
            data.SetTag("url.full", $"{uri.Scheme}://{uri.Authority}{RedactPath(uri.AbsolutePath)}{(uri.Query.Length > 0 ? "?Redacted" : "")}");
        }

        if (data.GetTagItem("url.path") is string clientPath && data.Kind == ActivityKind.Client)
        {
            data.SetTag("url.path", RedactPath(clientPath));
        }
    }

    /// <summary>The path with each segment that is a phone number (seven or more digits, optionally +, spaces, dashes, dots, brackets; escaped or not) replaced.</summary>
    public static string RedactPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return string.Join('/', path.Split('/').Select(segment => IsPhoneLike(segment) ? Placeholder : segment));
    }

    private static bool IsPhoneLike(string segment)
    {
        if (segment.Length == 0)
        {
            return false;
        }

        var text = Uri.UnescapeDataString(segment);
        return text.Count(char.IsAsciiDigit) >= 7 && text.All(c => char.IsAsciiDigit(c) || c is '+' or ' ' or '-' or '.' or '(' or ')');
    }
}
