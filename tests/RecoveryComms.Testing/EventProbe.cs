using System.Collections.Concurrent;
using MassTransit;
using RecoveryComms.Contracts.Capture;
using RecoveryComms.Contracts.Identity;
using RecoveryComms.Hosting.Messaging;

namespace RecoveryComms.Testing;

/// <summary>A consumer on the real broker that records every capture and identity event it receives.</summary>
public sealed class EventProbe : IAsyncDisposable
{
    private readonly IBusControl _bus;
    private readonly ConcurrentQueue<(Guid MessageId, object Message)> _received = new();
    private readonly ConcurrentDictionary<object, string> _headers = new();

    private EventProbe(IBusControl bus) => _bus = bus;

    /// <param name="prefix">The exchange prefix of the hosts under test (RabbitMq:EndpointPrefix).</param>
    public static async Task<EventProbe> StartAsync(string prefix)
    {
        var rabbit = await TestInfrastructure.RabbitMqAsync();
        EventProbe? probe = null;
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(rabbit);
            cfg.MessageTopology.SetEntityNameFormatter(new PrefixedEntityNameFormatter(cfg.MessageTopology.EntityNameFormatter, prefix));
            cfg.ReceiveEndpoint($"test-probe-{Guid.NewGuid():N}", endpoint =>
            {
                endpoint.AutoDelete = true;
                endpoint.Durable = false;
                endpoint.Handler<MissedCallCaptured>(c => probe!.Record(c));
                endpoint.Handler<AbandonedCallCaptured>(c => probe!.Record(c));
                endpoint.Handler<VoicemailCaptured>(c => probe!.Record(c));
                endpoint.Handler<VoicemailTranscribed>(c => probe!.Record(c));
                endpoint.Handler<InboundSmsReceived>(c => probe!.Record(c));
                endpoint.Handler<MessageStatusReported>(c => probe!.Record(c));
                endpoint.Handler<CallbackAttemptStatusReported>(c => probe!.Record(c));
                endpoint.Handler<CallbackRecordingCaptured>(c => probe!.Record(c));
                endpoint.Handler<ApiKeyIssued>(c => probe!.Record(c));
                endpoint.Handler<ApiKeyRevoked>(c => probe!.Record(c));
            });
        });
        probe = new EventProbe(bus);
        await bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        return probe;
    }

    public IReadOnlyList<T> All<T>(Func<T, bool>? where = null) =>
        _received.Select(r => r.Message).OfType<T>().Where(where ?? (_ => true)).ToList();

    public IReadOnlyList<Guid> MessageIds<T>(Func<T, bool> where) =>
        _received.Where(r => r.Message is T t && where(t)).Select(r => r.MessageId).ToList();

    /// <summary>The transport headers an event arrived with, one <c>key=value</c> a line.</summary>
    public string HeadersOf(object message) => _headers.TryGetValue(message, out var headers) ? headers : "";

    /// <summary>Waits until at least <paramref name="count"/> matching events have arrived.</summary>
    public Task<IReadOnlyList<T>> WaitForAsync<T>(Func<T, bool> where, int count = 1, TimeSpan? timeout = null) =>
        Eventually.ValueAsync(() => Task.FromResult(All(where)), found => found.Count >= count, timeout, $"{count} × {typeof(T).Name}");

    private Task Record<T>(ConsumeContext<T> context)
        where T : class
    {
        // Headers first: a test that sees the message must also see its headers.
        _headers[context.Message] = string.Join("\n", context.Headers.GetAll().Select(h => $"{h.Key}={h.Value}"));
        _received.Enqueue((context.MessageId ?? Guid.Empty, context.Message));
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}
