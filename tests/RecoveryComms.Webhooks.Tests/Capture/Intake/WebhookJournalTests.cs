using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RecoveryComms.Testing;
using RecoveryComms.Webhooks.Capture.Intake;

namespace RecoveryComms.Webhooks.Tests.Capture.Intake;

public sealed class WebhookJournalTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "recoverycomms-tests", Guid.NewGuid().ToString("N"));

    private string FilePath => Path.Combine(_directory, "journal.jsonl");

    [Fact]
    public void Append_ThenRestart_TheLinesComeBackInOrder_AndAreTruncatedOnceReplayed()
    {
        var (a, b) = (Sids.Call(), Sids.Call());
        using (var journal = Open())
        {
            journal.Append(Webhook(a, "/twilio/voice/incoming"));
            journal.Append(Webhook(b, "/twilio/voice/incoming"));
            journal.Append(Webhook(a, "/twilio/voice/dial-complete", ("DialCallStatus", "no-answer")));
        }

        using var restarted = Open();

        Assert.Equal(3, restarted.Count);
        Assert.Equal([a, b, a], restarted.Pending().Select(e => e.CallSid));
        Assert.Equal(["/twilio/voice/incoming", "/twilio/voice/dial-complete"], restarted.Pending(a).Select(e => e.Webhook.Route));
        Assert.Equal("no-answer", restarted.Pending(a)[1].Webhook.Parameters.Single(p => p.Key == "DialCallStatus").Value);
        Assert.True(restarted.HasPending(b));
        foreach (var entry in restarted.Pending())
        {
            restarted.Replayed(entry);
        }

        Assert.Equal(0, restarted.Count);
        Assert.Equal(0, new FileInfo(FilePath).Length);
    }

    [Fact]
    public void Load_LineCutShortByACrash_IsSkipped_AndTheNextLineStartsOnItsOwn()
    {
        var call = Sids.Call();
        using (var journal = Open())
        {
            journal.Append(Webhook(call, "/twilio/voice/incoming"));
        }

        File.AppendAllText(FilePath, "{\"route\":\"/twilio/voice/dial-compl");
        using (var journal = Open())
        {
            Assert.Equal(1, journal.Count);
            journal.Append(Webhook(call, "/twilio/voice/dial-complete", ("DialCallStatus", "busy")));
        }

        using var restarted = Open();
        Assert.Equal(["/twilio/voice/incoming", "/twilio/voice/dial-complete"], restarted.Pending(call).Select(e => e.Webhook.Route));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private WebhookJournal Open() => new(
        Options.Create(new WebhookOptions { JournalPath = FilePath }),
        new HostingEnvironment { ContentRootPath = _directory },
        NullLogger<WebhookJournal>.Instance);

    private static WebhookRequest Webhook(string callSid, string route, params (string Key, string Value)[] extra) => new(
        route,
        [],
        [new("CallSid", callSid), new("From", "+13125550123"), new("To", "+13125550000"), .. extra.Select(p => new KeyValuePair<string, string>(p.Key, p.Value))],
        null,
        new DateTimeOffset(2026, 11, 18, 15, 0, 0, TimeSpan.Zero),
        null);
}
