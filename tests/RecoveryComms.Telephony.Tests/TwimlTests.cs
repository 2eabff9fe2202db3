using System.Xml.Linq;
using RecoveryComms.Telephony.TwiML;

namespace RecoveryComms.Telephony.Tests;

public sealed class TwimlTests
{
    [Fact]
    public void Render_TextWithMarkup_IsEscapedByTheXmlWriter()
    {
        var xml = Twiml.Render(Twiml.Response(Twiml.Say("Tom & Jerry's <Plumbing> \"24/7\"")));

        Assert.Equal(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Response><Say>Tom &amp; Jerry's &lt;Plumbing&gt; \"24/7\"</Say></Response>",
            xml);
        Assert.Equal("Tom & Jerry's <Plumbing> \"24/7\"", XDocument.Parse(xml).Root!.Element("Say")!.Value);
    }

    [Fact]
    public void Dial_WithScreenedNumbers_HasTwilioAttributeNames()
    {
        var dial = Twiml.Dial(
            "https://shop.example/twilio/voice/dial-complete?a=1&b=2#rc=3",
            20,
            "+15550001111",
            answerOnBridge: true,
            Twiml.Number("+15550002222", whisperUrl: "https://shop.example/twilio/voice/screen"));

        var xml = XDocument.Parse(Twiml.Render(Twiml.Response(dial)));
        var element = xml.Root!.Element("Dial")!;
        Assert.Equal("https://shop.example/twilio/voice/dial-complete?a=1&b=2#rc=3", element.Attribute("action")!.Value);
        Assert.Equal("20", element.Attribute("timeout")!.Value);
        Assert.Equal("+15550001111", element.Attribute("callerId")!.Value);
        Assert.Equal("true", element.Attribute("answerOnBridge")!.Value);
        Assert.Equal("https://shop.example/twilio/voice/screen", element.Element("Number")!.Attribute("url")!.Value);
        Assert.Equal("+15550002222", element.Element("Number")!.Value);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(601)]
    public void Dial_TimeoutOutsideTwilioRange_Throws(int timeout)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Twiml.Dial("https://x.example/a", timeout, null, false));
    }

    [Fact]
    public void Record_WithTranscription_SetsCallbacks()
    {
        var record = Twiml.Record("https://x.example/done", 120, "https://x.example/rec", "https://x.example/tr");

        Assert.Equal("true", record.Attribute("transcribe")!.Value);
        Assert.Equal("https://x.example/tr", record.Attribute("transcribeCallback")!.Value);
        Assert.Equal("completed", record.Attribute("recordingStatusCallbackEvent")!.Value);
        Assert.Equal("120", record.Attribute("maxLength")!.Value);
    }

    [Fact]
    public void Dial_WithRecording_RecordsTheBridgeFromAnswerOnTwoChannels_AndPostsTheRecording()
    {
        var dial = Twiml.Dial(null, 30, "+15550001111", answerOnBridge: false,
            new DialRecording("https://shop.example/twilio/voice/callback-recording#rc=3"),
            Twiml.Number("+15550002222", whisperUrl: "https://shop.example/twilio/voice/recording-notice"));

        var element = XDocument.Parse(Twiml.Render(Twiml.Response(dial))).Root!.Element("Dial")!;
        Assert.Equal("record-from-answer-dual", element.Attribute("record")!.Value);
        Assert.Equal("https://shop.example/twilio/voice/callback-recording#rc=3", element.Attribute("recordingStatusCallback")!.Value);
        Assert.Equal("POST", element.Attribute("recordingStatusCallbackMethod")!.Value);
        Assert.Equal("completed", element.Attribute("recordingStatusCallbackEvent")!.Value);
        Assert.Equal("https://shop.example/twilio/voice/recording-notice", element.Element("Number")!.Attribute("url")!.Value);
        Assert.Equal("POST", element.Element("Number")!.Attribute("method")!.Value);
    }

    [Fact]
    public void Dial_WithoutRecording_HasNoRecordAttributes()
    {
        var dial = Twiml.Dial(null, 30, null, answerOnBridge: false, recording: null, Twiml.Number("+15550002222"));

        Assert.Null(dial.Attribute("record"));
        Assert.Null(dial.Attribute("recordingStatusCallback"));
    }

    [Fact]
    public void Number_WithStatusCallback_AsksForEveryProgressEvent()
    {
        var number = Twiml.Number("+15550002222", statusCallback: "https://shop.example/twilio/voice/attempt-status");

        Assert.Equal("https://shop.example/twilio/voice/attempt-status", number.Attribute("statusCallback")!.Value);
        Assert.Equal("initiated ringing answered completed", number.Attribute("statusCallbackEvent")!.Value);
        Assert.Null(number.Attribute("url"));
    }
}
