using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RecoveryComms.Contracts.Consent;
using RecoveryComms.Contracts.Identity;

namespace RecoveryComms.Hosting.Auth;

/// <summary>The keys that sign and check the key owner's events (<c>ApiKeyIssued</c>, <c>ApiKeyRevoked</c>, <c>ApiKeyHeartbeat</c>).</summary>
public sealed class KeyEventSigningOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// <c>Auth:KeyEventSigningKey</c>, the key owner (the orchestrator) only: an ECDSA P-256 private key, PKCS#8, as
    /// PEM or as the base64 of its DER. Required outside Development; Development falls back to a public dev key.
    /// </summary>
    public string? KeyEventSigningKey { get; set; }

    /// <summary>
    /// <c>Auth:KeyEventPublicKey</c>, every replica (the consent service): the matching public key, SubjectPublicKeyInfo,
    /// as PEM or base64 DER. Required outside Development; Development falls back to the dev key's public half.
    /// </summary>
    public string? KeyEventPublicKey { get; set; }
}

/// <summary>
/// What the key owner signs. Anyone holding broker credentials can publish a message, so a replica acts only on key
/// events signed with a private key that only the owner holds (configuration, never the database or the broker).
/// </summary>
public static class KeyEventSignatures
{
    /// <summary>The signing key Development uses when none is configured: public, so worthless anywhere else.</summary>
    public const string DevelopmentPrivateKey =
        "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgIrwo323RobAfTLTW3BDAct1+G2MTRquQGON+BOA8erWhRANCAARuQ4rz00hDSx2uK5pnDRFKP+fZ1Q2ocGhalMAsMSFPqUBZxrzBrQT7MJMXspUFs/bR9MNYzBEuNwE+zUAmx1X8";

    /// <summary>The public half of <see cref="DevelopmentPrivateKey"/>.</summary>
    public const string DevelopmentPublicKey =
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEbkOK89NIQ0sdriuaZw0RSj/n2dUNqHBoWpTALDEhT6lAWca8wa0E+zCTF7KVBbP20fTDWMwRLjcBPs1AJsdV/A==";

    // Note: each field is written as <UTF-8 byte length>:<bytes>; after a versioned tag (like the ledger's canonical
    // form), so no text can move between fields; times as UTC ticks, which a JSON round trip keeps exactly.
    public static byte[] MessageOf(ApiKeyIssued issued)
    {
        ArgumentNullException.ThrowIfNull(issued);
        return Canonical("recoverycomms/api-key-issued/1", issued.KeyId.ToString("D"), issued.UserId.ToString("D"), issued.UserName,
            issued.Role, issued.KeyHash, Ticks(issued.OccurredAt));
    }

    public static byte[] MessageOf(SendStaffSms staff)
    {
        ArgumentNullException.ThrowIfNull(staff);
        return Canonical("recoverycomms/send-staff-sms/1", staff.CorrelationId.ToString("D"), staff.SendId.ToString("D"), staff.Phone, staff.Body, Ticks(staff.OccurredAt));
    }

    public static byte[] MessageOf(ApiKeyRevoked revoked)
    {
        ArgumentNullException.ThrowIfNull(revoked);
        return Canonical("recoverycomms/api-key-revoked/1", revoked.KeyId.ToString("D"), revoked.UserId.ToString("D"), Ticks(revoked.OccurredAt));
    }

    public static byte[] MessageOf(ApiKeyHeartbeat heartbeat)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        var fields = new List<string> { Ticks(heartbeat.OccurredAt), heartbeat.RecentRevocations.Count.ToString(CultureInfo.InvariantCulture) };
        foreach (var revoked in heartbeat.RecentRevocations)
        {
            fields.Add(revoked.KeyId.ToString("D"));
            fields.Add(revoked.UserId.ToString("D"));
            fields.Add(Ticks(revoked.OccurredAt));
        }

        return Canonical("recoverycomms/api-key-heartbeat/1", [.. fields]);
    }

    internal static ECDsa ImportPrivateKey(string text) => Import(text, (key, der) => key.ImportPkcs8PrivateKey(der, out _));

    internal static ECDsa ImportPublicKey(string text) => Import(text, (key, der) => key.ImportSubjectPublicKeyInfo(der, out _));

    /// <summary>A key as PEM, or as the base64 of its DER read by <paramref name="importDer"/>; P-256 only.</summary>
    private static ECDsa Import(string text, Action<ECDsa, byte[]> importDer)
    {
        var key = ECDsa.Create();
        try
        {
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                key.ImportFromPem(text);
            }
            else
            {
                importDer(key, Convert.FromBase64String(text.Trim()));
            }
        }
        catch
        {
            key.Dispose();
            throw;
        }

        return RequireP256(key);
    }

    private static ECDsa RequireP256(ECDsa key)
    {
        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new CryptographicException("the key is not an ECDSA P-256 key");
        }

        return key;
    }

    private static string Ticks(DateTimeOffset at) => at.UtcTicks.ToString(CultureInfo.InvariantCulture);

    private static byte[] Canonical(string tag, params string[] fields)
    {
        var text = new StringBuilder(tag).Append(';');
        foreach (var field in fields)
        {
            text.Append(Encoding.UTF8.GetByteCount(field).ToString(CultureInfo.InvariantCulture)).Append(':').Append(field).Append(';');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}

/// <summary>The key owner's side: signs every key event it publishes.</summary>
public sealed class KeyEventSigner : IDisposable
{
    private readonly ECDsa _key;
    private readonly Lock _gate = new();

    public KeyEventSigner(IOptions<KeyEventSigningOptions> options, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        var configured = options.Value.KeyEventSigningKey;
        _key = KeyEventSignatures.ImportPrivateKey(!string.IsNullOrWhiteSpace(configured) ? configured
            : environment.IsDevelopment() ? KeyEventSignatures.DevelopmentPrivateKey
            : throw new InvalidOperationException(KeyEventKeyValidation.MissingSigningKey));
    }

    private KeyEventSigner(ECDsa key) => _key = key;

    /// <summary>A signer with the given private key (PEM or base64 PKCS#8): tests sign as the owner, or as a forger.</summary>
    public static KeyEventSigner WithKey(string privateKey) => new(KeyEventSignatures.ImportPrivateKey(privateKey));

    public ApiKeyIssued Sign(ApiKeyIssued issued) => issued with { Signature = Sign(KeyEventSignatures.MessageOf(issued)) };

    public ApiKeyRevoked Sign(ApiKeyRevoked revoked) => revoked with { Signature = Sign(KeyEventSignatures.MessageOf(revoked)) };

    public ApiKeyHeartbeat Sign(ApiKeyHeartbeat heartbeat) => heartbeat with { Signature = Sign(KeyEventSignatures.MessageOf(heartbeat)) };

    /// <summary>A staff alert's text: the gate sends a staff message (no customer consent, no quiet hours) only when signed.</summary>
    public SendStaffSms Sign(SendStaffSms staff) => staff with { Signature = Sign(KeyEventSignatures.MessageOf(staff)) };

    public void Dispose() => _key.Dispose();

    // Note: one ECDsa object is not documented as safe for concurrent use; a key is signed about once a second.
    private string Sign(byte[] message)
    {
        lock (_gate)
        {
            return Convert.ToBase64String(_key.SignData(message, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        }
    }
}

/// <summary>A replica's side: checks that a key event was signed by the owner's key, exactly as it arrived.</summary>
public sealed class KeyEventVerifier : IDisposable
{
    private readonly ECDsa _key;
    private readonly Lock _gate = new();

    public KeyEventVerifier(IOptions<KeyEventSigningOptions> options, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        var configured = options.Value.KeyEventPublicKey;
        _key = KeyEventSignatures.ImportPublicKey(!string.IsNullOrWhiteSpace(configured) ? configured
            : environment.IsDevelopment() ? KeyEventSignatures.DevelopmentPublicKey
            : throw new InvalidOperationException(KeyEventKeyValidation.MissingPublicKey));
    }

    public bool IsValid(ApiKeyIssued issued) => IsValid(KeyEventSignatures.MessageOf(issued), issued.Signature);

    public bool IsValid(ApiKeyRevoked revoked) => IsValid(KeyEventSignatures.MessageOf(revoked), revoked.Signature);

    public bool IsValid(ApiKeyHeartbeat heartbeat) => IsValid(KeyEventSignatures.MessageOf(heartbeat), heartbeat.Signature);

    public bool IsValid(SendStaffSms staff) => IsValid(KeyEventSignatures.MessageOf(staff), staff.Signature);

    public void Dispose() => _key.Dispose();

    private bool IsValid(byte[] message, string? signature)
    {
        var bytes = new byte[64];
        if (signature is null || !Convert.TryFromBase64String(signature, bytes, out var length) || length != bytes.Length)
        {
            return false;
        }

        lock (_gate)
        {
            return _key.VerifyData(message, bytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
    }
}

/// <summary>
/// Thrown by a replica's key consumer for an event without the owner's valid signature: a poison message, parked in
/// the endpoint's <c>_error</c> queue (counted, logged and shown on readiness), never stored.
/// </summary>
public sealed class UntrustedKeyEventException(string message) : Exception(message);

/// <summary>
/// Refuses to start outside Development without this service's key (the owner's private key, a replica's public key),
/// with the public development keys, or with a key that is not ECDSA P-256.
/// </summary>
public sealed class KeyEventKeyValidation(IHostEnvironment environment, KeyReplicaSchema keys) : IValidateOptions<KeyEventSigningOptions>
{
    public const string MissingSigningKey =
        "Auth:KeyEventSigningKey (Auth__KeyEventSigningKey) is required outside Development: the ECDSA P-256 private key (PKCS#8, PEM or base64) that signs the API key events; only the orchestrator holds it.";

    public const string MissingPublicKey =
        "Auth:KeyEventPublicKey (Auth__KeyEventPublicKey) is required outside Development: the public half (SubjectPublicKeyInfo, PEM or base64) of the orchestrator's Auth:KeyEventSigningKey.";

    public ValidateOptionsResult Validate(string? name, KeyEventSigningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (setting, value, missing, development) = keys.Owner
            ? ("Auth:KeyEventSigningKey", options.KeyEventSigningKey, MissingSigningKey, KeyEventSignatures.DevelopmentPrivateKey)
            : ("Auth:KeyEventPublicKey", options.KeyEventPublicKey, MissingPublicKey, KeyEventSignatures.DevelopmentPublicKey);
        if (string.IsNullOrWhiteSpace(value))
        {
            return environment.IsDevelopment() ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(missing);
        }

        try
        {
            using var key = keys.Owner ? KeyEventSignatures.ImportPrivateKey(value) : KeyEventSignatures.ImportPublicKey(value);
            using var dev = keys.Owner ? KeyEventSignatures.ImportPrivateKey(development) : KeyEventSignatures.ImportPublicKey(development);
            // Note: compared as keys, not text, so the public dev key is refused as PEM or base64 alike.
            if (!environment.IsDevelopment() && key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(dev.ExportSubjectPublicKeyInfo()))
            {
                return ValidateOptionsResult.Fail($"{setting} is the public development key, which anyone can sign with: configure a key of your own outside Development.");
            }
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            return ValidateOptionsResult.Fail($"{setting} is not an ECDSA P-256 key ({e.Message}).");
        }

        return ValidateOptionsResult.Success;
    }
}

internal static class KeyEventSignaturesExtensions
{
    /// <summary>The key owner signs its key events; a replica checks them. Each refuses to start outside Development without its key.</summary>
    public static IServiceCollection AddKeyEventSignatures(this IServiceCollection services, bool owner)
    {
        services.AddOptions<KeyEventSigningOptions>().BindConfiguration(KeyEventSigningOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<KeyEventSigningOptions>, KeyEventKeyValidation>();
        if (owner)
        {
            services.AddSingleton<KeyEventSigner>();
        }
        else
        {
            services.AddSingleton<KeyEventVerifier>();
        }

        return services;
    }
}
