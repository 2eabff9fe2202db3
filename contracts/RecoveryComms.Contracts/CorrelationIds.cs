using System.Security.Cryptography;
using System.Text;

namespace RecoveryComms.Contracts;

/// <summary>Correlation ids derived from provider ids, so every event of one call or message shares one id.</summary>
public static class CorrelationIds
{
    /// <summary>A stable GUID for a Twilio SID (the first 16 bytes of its SHA-256).</summary>
    /// <param name="providerSid">A Twilio SID such as <c>CA…</c> or <c>SM…</c>.</param>
    public static Guid For(string providerSid)
    {
        ArgumentNullException.ThrowIfNull(providerSid);
        return new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(providerSid)).AsSpan(0, 16));
    }
}
