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

    private const string Declaration = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";

    public static TheoryData<string, Func<XElement>, string> Verbs => new()
    {
        { "say with a voice", () => Twiml.Say("Hello", "Polly.Joanna"), "<Say voice=\"Polly.Joanna\">Hello</Say>" },
        { "say in the default voice", () => Twiml.Say("Hello"), "<Say>Hello</Say>" },
        {
            "dial posting its result", () => Twiml.Dial("https://x.example/done", 20, "+15550001111", answerOnBridge: false, Twiml.Number("+15550002222")),
            "<Dial action=\"https://x.example/done\" method=\"POST\" timeout=\"20\" callerId=\"+15550001111\"><Number>+15550002222</Number></Dial>"
        },
        {
            "dial falling through, answer on bridge", () => Twiml.Dial(null, 600, null, answerOnBridge: true),
            "<Dial timeout=\"600\" answerOnBridge=\"true\" />"
        },
        { "dial at the shortest timeout", () => Twiml.Dial(null, 5, null, answerOnBridge: false), "<Dial timeout=\"5\" />" },
        {
            "dial recorded", () => Twiml.Dial(null, 30, null, false, new DialRecording("https://x.example/rec"), Twiml.Number("+15550002222")),
            "<Dial timeout=\"30\" record=\"record-from-answer-dual\" recordingStatusCallback=\"https://x.example/rec\" recordingStatusCallbackMethod=\"POST\" "
                + "recordingStatusCallbackEvent=\"completed\"><Number>+15550002222</Number></Dial>"
        },
        {
            "number screened with progress", () => Twiml.Number("+15550002222", "https://x.example/screen", "https://x.example/status"),
            "<Number url=\"https://x.example/screen\" method=\"POST\" statusCallback=\"https://x.example/status\" statusCallbackEvent=\"initiated ringing answered completed\">+15550002222</Number>"
        },
        { "number alone", () => Twiml.Number("+15550002222"), "<Number>+15550002222</Number>" },
        {
            "gather one key", () => Twiml.GatherOneKey("https://x.example/key", 7, Twiml.Say("Press 1")),
            "<Gather action=\"https://x.example/key\" method=\"POST\" numDigits=\"1\" timeout=\"7\" actionOnEmptyResult=\"true\"><Say>Press 1</Say></Gather>"
        },
        {
            "record without transcription", () => Twiml.Record("https://x.example/done", 120, "https://x.example/rec", null),
            "<Record action=\"https://x.example/done\" method=\"POST\" maxLength=\"120\" playBeep=\"true\" recordingStatusCallback=\"https://x.example/rec\" "
                + "recordingStatusCallbackMethod=\"POST\" recordingStatusCallbackEvent=\"completed\" />"
        },
        {
            "record with transcription", () => Twiml.Record("https://x.example/done", 60, "https://x.example/rec", "https://x.example/tr"),
            "<Record action=\"https://x.example/done\" method=\"POST\" maxLength=\"60\" playBeep=\"true\" recordingStatusCallback=\"https://x.example/rec\" "
                + "recordingStatusCallbackMethod=\"POST\" recordingStatusCallbackEvent=\"completed\" transcribe=\"true\" transcribeCallback=\"https://x.example/tr\" />"
        },
        { "hang up", Twiml.Hangup, "<Hangup />" },
        { "message", () => Twiml.Message("Thanks & bye"), "<Message>Thanks &amp; bye</Message>" },
    };

    [Theory]
    [MemberData(nameof(Verbs))]
    public void Render_EachVerb_IsExactlyTheTwimlTwilioReads(string scenario, Func<XElement> verb, string xml)
    {
        Assert.NotEmpty(scenario);
        Assert.Equal(Declaration + "<Response>" + xml + "</Response>", Twiml.Render(Twiml.Response(verb())));
    }

    [Fact]
    public void Render_EmptyResponse_AndNull()
    {
        Assert.Equal(Declaration + "<Response />", Twiml.Render(Twiml.Response()));
        Assert.Equal("text/xml; charset=utf-8", Twiml.ContentType);
        Assert.Throws<ArgumentNullException>("response", () => Twiml.Render(null!));
    }
}
