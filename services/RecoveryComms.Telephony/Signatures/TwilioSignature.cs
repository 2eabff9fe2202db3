using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace RecoveryComms.Telephony.Signatures;

/// <summary>
/// Computes and checks <c>X-Twilio-Signature</c>, following Twilio's documented algorithm and the behaviour
/// its SDKs share (see shared/docs/twilio-facts.md §1): HMAC-SHA1 over the full URL followed by the POST
/// parameters sorted by name, Base64-encoded, compared in constant time.
/// </summary>
public static class TwilioSignature
{
    /// <summary>The header Twilio signs every webhook with.</summary>
    public const string HeaderName = "X-Twilio-Signature";

    /// <summary>
    /// Computes the signature Twilio would send for a form-encoded POST to <paramref name="url"/>.
    /// A key that appears more than once contributes each of its distinct values, sorted, as the Python and
    /// Node SDKs do.
    /// </summary>
    /// <param name="authToken">The account's auth token.</param>
    /// <param name="url">The full URL, with its query string exactly as sent; a fragment is ignored.</param>
    /// <param name="parameters">Every POST parameter received, repeated keys included.</param>
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(authToken);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(parameters);
        return Sign(authToken, StripFragment(url) + JoinParameters(parameters));
    }

    /// <summary>
    /// Checks a form-encoded webhook. The URL is tried as given and with its default port toggled (and with
    /// <c>'</c> percent-encoded), because Twilio's back end is not consistent about either.
    /// </summary>
    /// <param name="authToken">The account's auth token.</param>
    /// <param name="url">The URL Twilio requested (the public one, not the one behind a proxy).</param>
    /// <param name="parameters">Every POST parameter received, repeated keys included.</param>
    /// <param name="signature">The value of the <c>X-Twilio-Signature</c> header.</param>
    public static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters, string? signature)
    {
        ArgumentNullException.ThrowIfNull(authToken);
        ArgumentNullException.ThrowIfNull(parameters);
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(url) || authToken.Length == 0)
        {
            return false;
        }

        var joined = JoinParameters(parameters);
        return UrlVariants(url).Any(candidate => SecureEquals(Sign(authToken, candidate + joined), signature));
    }

    /// <summary>
    /// Checks a webhook with a JSON body: Twilio puts <c>bodySHA256</c> (hex SHA-256 of the raw body) in the
    /// query string and signs the URL alone. Both the signature and the body hash must match.
    /// </summary>
    /// <param name="authToken">The account's auth token.</param>
    /// <param name="url">The URL Twilio requested, including <c>bodySHA256</c>.</param>
    /// <param name="body">The raw request body.</param>
    /// <param name="signature">The value of the <c>X-Twilio-Signature</c> header.</param>
    public static bool IsValidWithBody(string authToken, string url, string body, string? signature)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (string.IsNullOrEmpty(url))
        {
            return false;
        }

        var bodyHash = QueryValue(StripFragment(url), "bodySHA256");
        return bodyHash is not null
            && IsValid(authToken, url, [], signature)
            && IsBodyHashValid(body, bodyHash);
    }

    /// <summary>True when <paramref name="expectedHex"/> is the lowercase hex SHA-256 of the UTF-8 body.</summary>
    /// <param name="body">The raw request body.</param>
    /// <param name="expectedHex">The <c>bodySHA256</c> value from the URL.</param>
    public static bool IsBodyHashValid(string body, string expectedHex)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(expectedHex);
        var actual = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        return SecureEquals(actual, expectedHex);
    }

    [SuppressMessage("Security", "CA5350:Do not use weak cryptographic algorithms", Justification = "HMAC-SHA1 is Twilio's signature algorithm; we verify it, we do not choose it.")]
    private static string Sign(string authToken, string data)
    {
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data));
        return Convert.ToBase64String(mac);
    }

    // Note: keys sort ordinally (case-sensitive, as Twilio does); a repeated key contributes each distinct
    // value once, values sorted ordinally: the Python and Node SDKs' rule (vector V20 in the facts).
    private static string JoinParameters(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var builder = new StringBuilder();
        foreach (var group in parameters.GroupBy(p => p.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            foreach (var value in group.Select(p => p.Value ?? "").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                builder.Append(group.Key).Append(value);
            }
        }

        return builder.ToString();
    }

    private static IEnumerable<string> UrlVariants(string url)
    {
        var exact = StripFragment(url);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var candidate in new[] { exact, TogglePort(exact) })
        {
            if (candidate is not null && seen.Add(candidate))
            {
                yield return candidate;
            }
        }

        foreach (var candidate in seen.ToArray())
        {
            var quoted = candidate.Replace("'", "%27", StringComparison.Ordinal);
            if (seen.Add(quoted))
            {
                yield return quoted;
            }
        }
    }

    // Twilio's SDKs accept the URL with and without the scheme's default port. The URL is edited as text
    // so that the case of the scheme and host, user info and the query string stay exactly as sent.
    private static string? TogglePort(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return null;
        }

        var scheme = url[..schemeEnd];
        var defaultPort = scheme.ToUpperInvariant() switch
        {
            "HTTPS" => "443",
            "HTTP" => "80",
            _ => null,
        };
        var authorityStart = schemeEnd + 3;
        var authorityEnd = url.IndexOfAny(['/', '?'], authorityStart);
        if (authorityEnd < 0)
        {
            authorityEnd = url.Length;
        }

        var authority = url[authorityStart..authorityEnd];
        var hostStart = authority.LastIndexOf('@') + 1;
        var portSeparator = authority.LastIndexOf(':');
        var hasPort = portSeparator >= hostStart && !authority.EndsWith(']');
        string newAuthority;
        if (hasPort)
        {
            newAuthority = authority[..portSeparator];
        }
        else if (defaultPort is not null)
        {
            newAuthority = authority + ":" + defaultPort;
        }
        else
        {
            return null;
        }

        return url[..authorityStart] + newAuthority + url[authorityEnd..];
    }

    private static string StripFragment(string url)
    {
        var hash = url.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? url : url[..hash];
    }

    private static string? QueryValue(string url, string name)
    {
        var query = url.IndexOf('?', StringComparison.Ordinal);
        if (query < 0)
        {
            return null;
        }

        foreach (var pair in url[(query + 1)..].Split('&'))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && pair.AsSpan(0, equals).SequenceEqual(name))
            {
                return Uri.UnescapeDataString(pair[(equals + 1)..]);
            }
        }

        return null;
    }

    private static bool SecureEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
