using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RecoveryComms.Orchestrator.Integrations;

/// <summary>
/// <c>RecoveryComms-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;raw body&gt;")&gt;</c>.
/// The HMAC key is the secret string exactly as issued (its UTF-8 bytes); docs/integrations.md shows a CRM how to check it.
/// </summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    /// <summary>A new subscription secret: 32 random bytes, base64url, with a prefix secret scanners can spot.</summary>
    public static string NewSecret() =>
        SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The header value for a body sent at <paramref name="timestamp"/> (unix seconds).</summary>
    public static string Header(string secret, long timestamp, ReadOnlySpan<byte> body) =>
        $"t={timestamp.ToString(CultureInfo.InvariantCulture)},v1={V1(secret, timestamp, body)}";

    /// <summary>Lower-case hex HMAC-SHA256 of <c>"&lt;t&gt;.&lt;body&gt;"</c> keyed with the secret.</summary>
    public static string V1(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }
}
