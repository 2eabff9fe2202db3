using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace RecoveryComms.Testing;

/// <summary>
/// A loopback TCP relay in front of a real server. <see cref="Cut"/> closes every connection and refuses new
/// ones (to the client, exactly what a stopped server looks like); <see cref="Restore"/> lets them through
/// again. Outage tests use it instead of stopping the shared PostgreSQL or RabbitMQ, which would take the
/// server away from every other test running at the same time.
/// </summary>
public sealed class TcpToggleProxy : IAsyncDisposable
{
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly ConcurrentDictionary<TcpClient, byte> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;
    private Task _acceptLoop = Task.CompletedTask;

    public TcpToggleProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Restore();
    }

    private volatile bool _holding;

    public int Port { get; }

    public bool IsCut => _listener is null;

    /// <summary>
    /// Keeps the connections open but swallows what the client sends from now on: to the client, a server that
    /// stopped mid-stream (what it wrote is "in flight" and never arrives, and no reply comes). <see cref="Cut"/>
    /// or <see cref="Restore"/> ends it.
    /// </summary>
    public void Hold() => _holding = true;

    public void Cut()
    {
        _holding = false;
        var listener = Interlocked.Exchange(ref _listener, null);
        listener?.Stop();
        foreach (var client in _open.Keys)
        {
            client.Close();
        }

        _open.Clear();
    }

    public void Restore()
    {
        _holding = false;
        if (_listener is not null)
        {
            return;
        }

        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _listener = listener;
        _acceptLoop = AcceptAsync(listener);
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }

            _ = RelayAsync(inbound);
        }
    }

    private async Task RelayAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        _open[inbound] = 0;
        _open[outbound] = 0;
        try
        {
            await outbound.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            inbound.NoDelay = true;
            outbound.NoDelay = true;
            var a = PumpAsync(inbound.GetStream(), outbound.GetStream(), upstream: true);
            var b = PumpAsync(outbound.GetStream(), inbound.GetStream(), upstream: false);
            await Task.WhenAny(a, b);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // A cut or a closed peer: both sides are closed below.
        }
        finally
        {
            _open.TryRemove(inbound, out _);
            _open.TryRemove(outbound, out _);
            inbound.Close();
            outbound.Close();
        }
    }

    private async Task PumpAsync(Stream from, Stream to, bool upstream)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            if (upstream && _holding)
            {
                continue;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Cut();
        await _acceptLoop;
        _stop.Dispose();
    }
}
