using System.Security.Cryptography;
using System.Text;

namespace RecoveryComms.Hosting.Auth;

/// <summary>The four roles of the contract and the policies built from them.</summary>
public static class Roles
{
    public const string Csr = "csr";
    public const string Manager = "manager";
    public const string Compliance = "compliance";
    public const string Admin = "admin";

    /// <summary>A CRM or answering service pushing accounts and callback requests.</summary>
    public const string Integration = "integration";

    /// <summary>The bootstrap key's role: it may create users and nothing else.</summary>
    public const string Bootstrap = "bootstrap";

    /// <summary>
    /// A service credential: another system calling a service-to-service route (the consent service's
    /// <c>GET /api/suppression</c> and <c>GET /api/contacts/resolve</c>, the contract's "services"). Not a staff role.
    /// </summary>
    public const string Service = "service";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Csr, Manager, Compliance, Admin, Integration };

    /// <summary>What an admin may give a new user: the staff roles of <see cref="All"/> and <see cref="Service"/>.</summary>
    public static readonly IReadOnlySet<string> Issuable = new HashSet<string>(All, StringComparer.Ordinal) { Service };
}

/// <summary>Authorization policy names: "csr+" in the contract means a CSR, a manager or an admin.</summary>
public static class Policies
{
    public const string CsrOrAbove = "csr+";
    public const string ManagerOrAdmin = "manager";
    public const string ComplianceOrAdmin = "compliance";

    /// <summary>The contract's "compliance" alone: the ledger, its CSV and verify.</summary>
    public const string ComplianceOnly = "compliance-only";

    /// <summary>The contract's "compliance, manager" (no admin).</summary>
    public const string ComplianceOrManager = "compliance-or-manager";
    public const string AccountWriter = "account-writer";

    /// <summary>Compliance, managers and admins: the consent API as the orchestrator passes it on (consent then applies its own route policies).</summary>
    public const string ConsentStaff = "consent-staff";

    /// <summary>Creating callbacks: staff, or a CRM or answering service.</summary>
    public const string CallbackWriter = "callback-writer";
    public const string Admin = "admin";

    /// <summary>The contract's "services": a <see cref="Roles.Service"/> key only (no staff key), on a fresh replica.</summary>
    public const string Service = "service";

    /// <summary>Creating users: an admin, or the bootstrap key before there is one.</summary>
    public const string UserAdmin = "user-admin";
}

/// <summary>API key material. Keys are long random secrets, so a plain SHA-256 is enough to store them safely.</summary>
public static class ApiKeys
{
    public const string Prefix = "rck_";

    public static string NewKey() => Prefix + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
