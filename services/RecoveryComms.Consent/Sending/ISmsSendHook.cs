namespace RecoveryComms.Consent.Sending;

/// <summary>
/// A seam inside the send gate, between the suppression decision and the call to Twilio, while the gate holds the
/// number's lock. The service registers a hook that does nothing; tests hold a send here to force the STOP race's
/// worst interleaving (a STOP arriving while an allowed text is on its way), so that the race test fails every
/// time the lock is gone instead of by chance.
/// </summary>
public interface ISmsSendHook
{
    /// <summary>Called once per send the gate has allowed, just before it calls Twilio.</summary>
    /// <param name="sendId">The send.</param>
    /// <param name="phone">The recipient, E.164.</param>
    /// <param name="cancellationToken">The request's token.</param>
    ValueTask BeforeTwilioAsync(Guid sendId, string phone, CancellationToken cancellationToken);
}

internal sealed class NoSmsSendHook : ISmsSendHook
{
    public ValueTask BeforeTwilioAsync(Guid sendId, string phone, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
