using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace RecoveryComms.Telephony.TwiML;

/// <summary>
/// Builds TwiML documents with <see cref="XElement"/>, so that every attribute and text is escaped by the
/// XML library. Element and attribute names are Twilio's (case-sensitive, camelCase attributes).
/// </summary>
public static class Twiml
{
    /// <summary>The content type Twilio accepts for TwiML.</summary>
    public const string ContentType = "text/xml; charset=utf-8";

    /// <summary>A <c>&lt;Response&gt;</c> holding the given verbs.</summary>
    /// <param name="verbs">Verbs in the order Twilio executes them.</param>
    public static XElement Response(params XElement[] verbs) => new("Response", verbs);

    /// <summary>A <c>&lt;Say&gt;</c> verb.</summary>
    /// <param name="text">What to say.</param>
    /// <param name="voice">The voice (<c>man</c>, <c>woman</c>, <c>Polly.*</c>), or null for Twilio's default.</param>
    public static XElement Say(string text, string? voice = null) =>
        new("Say", Attr("voice", voice), text);

    /// <summary>A <c>&lt;Dial&gt;</c> verb around the given nouns.</summary>
    /// <param name="action">Where Twilio posts the result (<c>DialCallStatus</c>), or null to fall through to the next verb.</param>
    /// <param name="timeoutSeconds">How long to ring, 5–600.</param>
    /// <param name="callerId">The caller ID shown to the called party, or null for the current call's.</param>
    /// <param name="answerOnBridge">Keep the caller hearing ringing until a callee answers.</param>
    /// <param name="nouns">The <c>&lt;Number&gt;</c> nouns to ring at once.</param>
    public static XElement Dial(string? action, int timeoutSeconds, string? callerId, bool answerOnBridge, params XElement[] nouns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutSeconds, 5);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timeoutSeconds, 600);
        return new XElement(
            "Dial",
            Attr("action", action),
            action is null ? null : Attr("method", "POST"),
            Attr("timeout", timeoutSeconds.ToString(CultureInfo.InvariantCulture)),
            Attr("callerId", callerId),
            answerOnBridge ? Attr("answerOnBridge", "true") : null,
            nouns);
    }

    /// <summary>A <c>&lt;Dial&gt;</c> verb whose bridged call is recorded (when <paramref name="recording"/> is not null).</summary>
    /// <param name="action">Where Twilio posts the result (<c>DialCallStatus</c>), or null to fall through to the next verb.</param>
    /// <param name="timeoutSeconds">How long to ring, 5–600.</param>
    /// <param name="callerId">The caller ID shown to the called party, or null for the current call's.</param>
    /// <param name="answerOnBridge">Keep the caller hearing ringing until a callee answers.</param>
    /// <param name="recording">How to record the bridge, or null for no recording.</param>
    /// <param name="nouns">The <c>&lt;Number&gt;</c> nouns to ring at once.</param>
    public static XElement Dial(string? action, int timeoutSeconds, string? callerId, bool answerOnBridge, DialRecording? recording, params XElement[] nouns)
    {
        var dial = Dial(action, timeoutSeconds, callerId, answerOnBridge, nouns);
        if (recording is not null)
        {
            dial.Add(
                Attr("record", recording.Mode),
                Attr("recordingStatusCallback", recording.StatusCallback),
                Attr("recordingStatusCallbackMethod", "POST"),
                Attr("recordingStatusCallbackEvent", "completed"));
        }

        return dial;
    }

    /// <summary>A <c>&lt;Number&gt;</c> noun.</summary>
    /// <param name="e164">The number to ring.</param>
    /// <param name="whisperUrl">TwiML Twilio runs on the callee's leg when it answers, before bridging (screening, a notice).</param>
    /// <param name="statusCallback">Where Twilio posts the leg's progress, or null.</param>
    public static XElement Number(string e164, string? whisperUrl = null, string? statusCallback = null) =>
        new(
            "Number",
            Attr("url", whisperUrl),
            whisperUrl is null ? null : Attr("method", "POST"),
            Attr("statusCallback", statusCallback),
            statusCallback is null ? null : Attr("statusCallbackEvent", "initiated ringing answered completed"),
            e164);

    /// <summary>A <c>&lt;Gather&gt;</c> of one key press around a prompt.</summary>
    /// <param name="action">Where Twilio posts <c>Digits</c>.</param>
    /// <param name="timeoutSeconds">Seconds to wait for the key.</param>
    /// <param name="prompt">The prompt verbs.</param>
    public static XElement GatherOneKey(string action, int timeoutSeconds, params XElement[] prompt) =>
        new(
            "Gather",
            Attr("action", action),
            Attr("method", "POST"),
            Attr("numDigits", "1"),
            Attr("timeout", timeoutSeconds.ToString(CultureInfo.InvariantCulture)),
            Attr("actionOnEmptyResult", "true"),
            prompt);

    /// <summary>A voicemail <c>&lt;Record&gt;</c> with its status and transcription callbacks.</summary>
    /// <param name="action">Where Twilio goes when the recording ends (never the current URL: that loops).</param>
    /// <param name="maxLengthSeconds">The longest message.</param>
    /// <param name="recordingStatusCallback">Where Twilio posts the finished recording.</param>
    /// <param name="transcribeCallback">Where Twilio posts the transcription, or null for none.</param>
    public static XElement Record(string action, int maxLengthSeconds, string recordingStatusCallback, string? transcribeCallback) =>
        new(
            "Record",
            Attr("action", action),
            Attr("method", "POST"),
            Attr("maxLength", maxLengthSeconds.ToString(CultureInfo.InvariantCulture)),
            Attr("playBeep", "true"),
            Attr("recordingStatusCallback", recordingStatusCallback),
            Attr("recordingStatusCallbackMethod", "POST"),
            Attr("recordingStatusCallbackEvent", "completed"),
            transcribeCallback is null ? null : Attr("transcribe", "true"),
            Attr("transcribeCallback", transcribeCallback));

    /// <summary>A <c>&lt;Hangup/&gt;</c> verb.</summary>
    public static XElement Hangup() => new("Hangup");

    /// <summary>A messaging <c>&lt;Message&gt;</c> reply.</summary>
    /// <param name="body">The reply text.</param>
    public static XElement Message(string body) => new("Message", body);

    /// <summary>Serialises a TwiML document with an XML declaration, UTF-8, no indentation.</summary>
    /// <param name="response">The <c>&lt;Response&gt;</c> element.</param>
    public static string Render(XElement response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false };
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, settings))
        {
            new XDocument(new XDeclaration("1.0", "UTF-8", null), response).Save(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static XAttribute? Attr(string name, string? value) => value is null ? null : new XAttribute(name, value);
}
