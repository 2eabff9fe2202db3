using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace RecoveryComms.Orchestrator.Integrations;

/// <summary>
/// Where CRM deliveries may go: public addresses only, plus the networks <see cref="CrmWebhookOptions.AllowedNetworks"/>
/// names (a CRM on the shop's own network). Checked twice: when an admin subscribes a URL (a clear 400), and at every
/// connection (<see cref="ConnectAsync"/>), which resolves the host itself and dials only the addresses it checked, so
/// a name that resolved to a public address at subscription and to 127.0.0.1 later (DNS rebinding), a subscription
/// stored before this check, or a literal the URL parser spells differently never reaches the loopback, link-local
/// (cloud metadata at 169.254.169.254) or private ranges.
/// </summary>
public sealed class CrmDestinations(IOptions<CrmWebhookOptions> options)
{
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(3);

    // Note: every range that is not the public internet (IANA special-purpose registries), not only RFC 1918: the
    // unspecified address reaches the host's own services on Linux, 100.64/10 is a carrier's (or a cloud's) inside,
    // and multicast or reserved ranges have no CRM.
    private static readonly (IPNetwork Network, string Kind)[] NotPublic =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified (\"this host\")"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private"),
        (IPNetwork.Parse("100.64.0.0/10"), "a carrier-grade NAT (shared)"),
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local (cloud metadata)"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private"),
        (IPNetwork.Parse("192.0.0.0/24"), "a reserved"),
        (IPNetwork.Parse("192.0.2.0/24"), "a documentation"),
        (IPNetwork.Parse("192.88.99.0/24"), "a reserved"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private"),
        (IPNetwork.Parse("198.18.0.0/15"), "a benchmarking"),
        (IPNetwork.Parse("198.51.100.0/24"), "a documentation"),
        (IPNetwork.Parse("203.0.113.0/24"), "a documentation"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved"),
        (IPNetwork.Parse("::/128"), "an unspecified"),
        (IPNetwork.Parse("::1/128"), "a loopback"),
        (IPNetwork.Parse("100::/64"), "a discard"),
        (IPNetwork.Parse("2001:db8::/32"), "a documentation"),
        (IPNetwork.Parse("fc00::/7"), "a unique-local (private)"),
        (IPNetwork.Parse("fe80::/10"), "a link-local"),
        (IPNetwork.Parse("fec0::/10"), "a site-local (private)"),
        (IPNetwork.Parse("ff00::/8"), "a multicast"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    private readonly IPNetwork[] _allowed = [.. options.Value.AllowedNetworks.Select(n => CrmWebhookOptions.ParseNetwork(n)!.Value)];

    /// <summary>Null when <paramref name="address"/> may be dialled, else the kind of range that refuses it.</summary>
    public string? RefusedKind(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (_allowed.Any(n => n.Contains(plain)))
        {
            return null;
        }

        // An IPv6 address that carries an IPv4 one (NAT64, 6to4) goes where the IPv4 one does.
        if (Embedded(plain) is { } inner && RefusedKind(inner) is { } innerKind)
        {
            return innerKind;
        }

        foreach (var (network, kind) in NotPublic)
        {
            if (network.Contains(plain))
            {
                return kind;
            }
        }

        return null;
    }

    /// <summary>
    /// Why a subscription to <paramref name="uri"/> is refused, or null. A host name is resolved here too (briefly); one
    /// that does not resolve now is accepted, because every delivery checks again at connect time.
    /// </summary>
    public async Task<string?> RefusalAsync(Uri uri, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var host = uri.IdnHost.Trim('[', ']');
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ResolveTimeout);
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, timeout.Token);
            }
            catch (Exception e) when (e is SocketException || e is OperationCanceledException && !ct.IsCancellationRequested)
            {
                return null;
            }
        }

        return addresses.Select(a => RefusedKind(a)).FirstOrDefault(kind => kind is not null) is { } refused ? Refusal(host, refused) : null;
    }

    /// <summary>
    /// The CRM client's <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host, refuses it when any of its
    /// addresses is refused (an <see cref="IOException"/>, which the handler wraps in an HttpRequestException: a failed
    /// attempt, before any byte is sent), and connects only to the addresses it checked.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = context.DnsEndPoint;
        var host = endpoint.Host.Trim('[', ']');
        IPAddress[] addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0)
        {
            throw new IOException($"{host} has no address");
        }

        // Note: all of them, not only the first: a name answering a public and a private address must not reach the
        // private one when the public one is down.
        if (addresses.Select(a => RefusedKind(a)).FirstOrDefault(kind => kind is not null) is { } refused)
        {
            throw new IOException(Refusal(host, refused));
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string Refusal(string host, string kind) =>
        $"destination refused: {host} is or resolves to {kind} address; CRM webhooks go to public addresses only "
        + $"(a CRM on the shop's own network must be listed in {CrmWebhookOptions.Section}:AllowedNetworks)";

    private static IPAddress? Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        var bytes = address.GetAddressBytes();
        if (Nat64.Contains(address))
        {
            return new IPAddress(bytes[12..16]);
        }

        return SixToFour.Contains(address) ? new IPAddress(bytes[2..6]) : null;
    }
}
