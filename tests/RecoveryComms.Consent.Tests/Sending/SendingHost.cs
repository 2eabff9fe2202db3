using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Consent.Sending;
using RecoveryComms.Telephony.Rest;

namespace RecoveryComms.Consent.Tests.Sending;

/// <summary>
/// The consent service for send-gate tests: a send hook a test can hold (<see cref="Holds"/>), Twilio's sandbox on
/// the host's clock (so listed messages are created "now" in business time), a Twilio timeout a stalled answer can
/// exceed, and the reconciler polling every 50 ms.
/// </summary>
public sealed class SendingHost : ConsentHost
{
    public const int RequestTimeoutSeconds = 4;

    public SendHolds Holds { get; } = new();

    public override async Task InitializeAsync()
    {
        Twilio.Clock = () => Clock.Now;
        await base.InitializeAsync();
        // One request through the whole stack first, so no test's first request pays for JIT and cold sockets.
        await Services.GetRequiredService<ITwilioRestClient>().ListMessagesAsync(new ListMessagesRequest("+13125550001", new DateOnly(2026, 1, 1)), default);
    }

    protected override void ConfigureWebHost(IWebHostBuilder web)
    {
        web.UseSetting("Twilio:RequestTimeout", TimeSpan.FromSeconds(RequestTimeoutSeconds).ToString("c", System.Globalization.CultureInfo.InvariantCulture));
        web.UseSetting("Consent:SmsSending:PollInterval", "00:00:00.050");
        web.ConfigureTestServices(services => services.AddSingleton<ISmsSendHook>(Holds));
    }
}

/// <summary>Holds an allowed send between the gate's decision and its call to Twilio, for the numbers a test names.</summary>
public sealed class SendHolds : ISmsSendHook
{
    private readonly ConcurrentDictionary<string, SendHold> _holds = new(StringComparer.Ordinal);

    /// <summary>The next allowed send to <paramref name="phone"/> stops before Twilio until the hold is released.</summary>
    public SendHold HoldNext(string phone) => _holds[phone] = new SendHold();

    private readonly ConcurrentDictionary<string, bool> _failures = new(StringComparer.Ordinal);

    /// <summary>The next allowed send to <paramref name="phone"/> fails before Twilio (as a lost database connection would).</summary>
    public void FailNext(string phone) => _failures[phone] = true;

    public async ValueTask BeforeTwilioAsync(Guid sendId, string phone, CancellationToken cancellationToken)
    {
        if (_failures.TryRemove(phone, out _))
        {
            throw new InvalidOperationException("the attempt failed before Twilio was called");
        }

        if (_holds.TryRemove(phone, out var hold))
        {
            hold.MarkReached();
            await hold.Released.WaitAsync(cancellationToken);
        }
    }
}

public sealed class SendHold
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the send has been allowed and is waiting here, holding the number's lock.</summary>
    public Task Reached => _reached.Task;

    internal Task Released => _released.Task;

    public void Release() => _released.TrySetResult();

    internal void MarkReached() => _reached.TrySetResult();
}
