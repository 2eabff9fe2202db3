using System.Globalization;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace RecoveryComms.Hosting.Data;

/// <summary>
/// What every session a service opens carries, so that a host that freezes or vanishes never holds a lock for long
/// (a timer claim, a CRM delivery, a contact's row): bound from the <c>Postgres</c> section.
/// </summary>
/// <remarks>
/// Three different failures, three settings:
/// <list type="bullet">
/// <item>A process that stops between two statements of a transaction (SIGSTOP, a GC pause, a debugger) keeps its
/// session "idle in transaction" with every row lock it took: <c>idle_in_transaction_session_timeout</c> makes the
/// server end such a session, and with it the locks, after <see cref="IdleInTransactionTimeout"/>.</item>
/// <item>A host that vanishes (power, network) leaves a TCP connection the server believes open for about two hours
/// by the kernel's defaults: the server's <c>tcp_keepalives_*</c> for the session find it dead after
/// <see cref="TcpKeepAliveSeconds"/> + 3 × 10 s. Npgsql's own keepalive finds a dead server from our side.</item>
/// <item>A statement that waits on a lock someone else holds waits at most <see cref="LockTimeout"/>, then fails
/// with <c>55P03</c>, which the consumers treat as transient (they retry).</item>
/// </list>
/// Note: the gate for the loop's SMS holds its row locks while Twilio answers (at most the REST client's timeout,
/// about 15 s), so both timeouts stay well above that.
/// </remarks>
public sealed record PostgresSessionLimits(TimeSpan IdleInTransactionTimeout, TimeSpan LockTimeout, int TcpKeepAliveSeconds)
{
    public const string Section = "Postgres";

    public static readonly PostgresSessionLimits Default = new(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30), 30);

    public static PostgresSessionLimits FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(Section);
        var limits = new PostgresSessionLimits(
            Read(section, nameof(IdleInTransactionTimeout), Default.IdleInTransactionTimeout),
            Read(section, nameof(LockTimeout), Default.LockTimeout),
            section.GetValue(nameof(TcpKeepAliveSeconds), Default.TcpKeepAliveSeconds));
        if (limits.IdleInTransactionTimeout < TimeSpan.FromSeconds(1) || limits.LockTimeout < TimeSpan.FromMilliseconds(100) || limits.TcpKeepAliveSeconds is < 1 or > 3600)
        {
            throw new InvalidOperationException(
                "Postgres:IdleInTransactionTimeout must be at least 1 s, Postgres:LockTimeout at least 100 ms, Postgres:TcpKeepAliveSeconds 1 to 3600.");
        }

        return limits;
    }

    /// <summary>Adds the settings to a connection string; a setting the connection string already names wins.</summary>
    public void ApplyTo(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Options ?? "";
        var extra = new List<string>();
        void Add(string name, string value)
        {
            if (!options.Contains(name, StringComparison.OrdinalIgnoreCase))
            {
                extra.Add($"-c {name}={value}");
            }
        }

        Add("idle_in_transaction_session_timeout", Milliseconds(IdleInTransactionTimeout));
        Add("lock_timeout", Milliseconds(LockTimeout));
        Add("tcp_keepalives_idle", TcpKeepAliveSeconds.ToString(CultureInfo.InvariantCulture));
        Add("tcp_keepalives_interval", "10");
        Add("tcp_keepalives_count", "3");
        builder.Options = string.Join(' ', new[] { options }.Concat(extra).Where(o => o.Length > 0));
        if (builder.KeepAlive == 0)
        {
            builder.KeepAlive = TcpKeepAliveSeconds;
        }

        if (!builder.TcpKeepAlive)
        {
            builder.TcpKeepAlive = true;
        }
    }

    private static string Milliseconds(TimeSpan span) => ((long)span.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    private static TimeSpan Read(IConfigurationSection section, string key, TimeSpan fallback) =>
        section[key] is { Length: > 0 } text ? TimeSpan.Parse(text, CultureInfo.InvariantCulture) : fallback;
}
