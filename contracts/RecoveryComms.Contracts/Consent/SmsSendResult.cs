namespace RecoveryComms.Contracts.Consent;

/// <summary>The send gate's answer to <see cref="SendSms"/>. Asking again with the same SendId never sends again: it
/// answers with what is known about that send now.</summary>
/// <param name="CorrelationId">From the request.</param>
/// <param name="SendId">From the request.</param>
/// <param name="Status">
/// <c>sent</c> (Twilio accepted the text; see <paramref name="MessageSid"/>), <c>refused</c> (suppressed, see
/// <paramref name="Reasons"/>; nothing was sent), <c>failed</c> (Twilio refused it, or it was never sent; nothing
/// left), or <c>unknown</c>: the text may have reached Twilio but no answer came back (network error, timeout or a
/// 5xx after the request left, or an earlier attempt of this SendId did not finish). The gate never resends an
/// <c>unknown</c> send: it looks the send up in Twilio's message list until it is <c>sent</c> (with its SID) or,
/// after a bounded wait, <c>failed</c>. Ask again with the same SendId to learn the outcome, and never retry an
/// <c>unknown</c> send with a new SendId.
/// </param>
/// <param name="Reasons">Suppression reasons when refused, Twilio's error when failed (<c>twilio-not-found</c> when the
/// reconciler gave up finding an unknown send at Twilio).</param>
/// <param name="MessageSid">Twilio's id when sent.</param>
/// <param name="OccurredAt">When it was decided.</param>
public sealed record SmsSendResult(Guid CorrelationId, Guid SendId, string Status, IReadOnlyList<string> Reasons, string? MessageSid, DateTimeOffset OccurredAt);
