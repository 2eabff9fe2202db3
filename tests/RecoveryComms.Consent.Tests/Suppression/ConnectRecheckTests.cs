using System.Net;
using System.Net.Http.Json;
using System.Xml.Linq;
using RecoveryComms.Consent.Tests.Keywords;
using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests.Suppression;

/// <summary>The webhooks service's <c>/twilio/voice/connect</c> asks the consent service again when the CSR answers.</summary>
public sealed class ConnectRecheckTests(WebhooksAndConsentHost host) : IClassFixture<WebhooksAndConsentHost>
{
    private async Task<XElement> ConnectAsync(string customer)
    {
        var response = await host.Webhooks.PostAsync(
            $"/twilio/voice/connect?customer={Uri.EscapeDataString(customer)}&callerId={Uri.EscapeDataString(ConsentHost.ShopLine)}&attempt={Guid.NewGuid()}",
            ("CallSid", Sids.Call()), ("CallStatus", "in-progress"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
    }

    [Fact]
    public async Task Connect_DoNotContactRecordedWhileTheCsrRang_HangsUpWithoutDiallingTheCustomer()
    {
        var compliance = await host.KeyAsync("compliance");
        var phone = Numbers.Chicago();
        // The call was placed (allowed); while the CSR's phone rang, the customer asked not to be called.
        var recorded = await host.SendAsync(compliance, HttpMethod.Post, $"/api/consent/{Uri.EscapeDataString(phone)}",
            JsonContent.Create(new { channel = "voice", state = "do_not_contact", evidence = "said on the phone: never call me" }));
        Assert.Equal(HttpStatusCode.Created, recorded.StatusCode);

        var twiml = await ConnectAsync(phone);

        Assert.Null(twiml.Element("Dial"));
        Assert.Contains("not connected", twiml.Element("Say")!.Value, StringComparison.Ordinal);
        Assert.NotNull(twiml.Element("Hangup"));
    }

    [Fact]
    public async Task Connect_NumberStillAllowed_BridgesToTheCustomer()
    {
        var phone = Numbers.Chicago();

        var twiml = await ConnectAsync(phone);

        Assert.Equal(phone, twiml.Element("Dial")!.Element("Number")!.Value);
    }
}
