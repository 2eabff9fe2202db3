namespace RecoveryComms.Telephony.Messaging;

// TEMPORARY until the Telephony counter lands (branch smsgate); deleted at merge.
public sealed record SmsLength(bool Gsm7, int Units, int Segments);

public static class SmsSegments
{
    public static SmsLength Count(string body) => new(true, body.Length, body.Length <= 160 ? 1 : 2);
}
