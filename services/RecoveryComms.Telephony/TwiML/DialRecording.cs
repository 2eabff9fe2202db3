namespace RecoveryComms.Telephony.TwiML;

/// <summary>Recording of a <c>&lt;Dial&gt;</c>'s bridged call (the <c>record</c> and <c>recordingStatusCallback*</c> attributes).</summary>
/// <param name="StatusCallback">Where Twilio posts the finished recording; its <c>CallSid</c> is the parent call's.</param>
/// <param name="Mode">Twilio's <c>record</c> value; by default both parties, each on its own channel, from the moment the called party answers.</param>
public sealed record DialRecording(string StatusCallback, string Mode = "record-from-answer-dual");
