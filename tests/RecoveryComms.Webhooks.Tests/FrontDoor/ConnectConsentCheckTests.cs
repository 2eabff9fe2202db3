using System.Net;
using System.Xml.Linq;
using RecoveryComms.Testing;

namespace RecoveryComms.Webhooks.Tests.FrontDoor;

/// <summary>The click-to-call bridge when the consent service cannot answer (this host runs no consent service).</summary>
public sealed class ConnectConsentCheckTests(WebhooksHost host) : IClassFixture<WebhooksHost>
{
    [Fact]
    public async Task Connect_ConsentDoesNotAnswer_BridgesOnTheCheckMadeWhenTheCallWasPlaced_AndSaysSo()
    {
        var callSid = Sids.Call();

        var response = await host.Twilio.PostAsync("/twilio/voice/connect?customer=%2B13125551234&callerId=%2B13125550000",
            ("CallSid", callSid), ("CallStatus", "in-progress"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var dial = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Dial")!;
        Assert.Equal("+13125551234", dial.Element("Number")!.Value);
        var warning = Assert.Single(host.Logs.Entries, e => e.Category.EndsWith("ConnectConsentCheck", StringComparison.Ordinal) && e.Message.Contains(callSid, StringComparison.Ordinal));
        Assert.Contains("did not answer in time", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("+13125551234", warning.Message, StringComparison.Ordinal);
    }
}
