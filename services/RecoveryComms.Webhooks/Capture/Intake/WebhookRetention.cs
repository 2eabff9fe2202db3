using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>
/// What the webhooks schema prunes: raw webhooks once Twilio can no longer retry them and their events are out,
/// published outbox rows, and old outbox dead letters. The call, voicemail and message state is kept: it is small
/// and the capture of later callbacks reads it.
/// </summary>
public static class WebhookRetention
{
    // Note: a raw webhook and the events it led to are written in one transaction, so its stored_at and their
    // created_at are that transaction's now(). A webhook older than every unpublished outbox row therefore has all its
    // events published; one whose events went to the dead letters is kept with them (evidence of what Twilio sent).
    // Nothing else reads a raw webhook after its transaction: the state lives in calls, voicemails and messages, and
    // the row's one later use is to recognise a copy of it (a Twilio retry, a spooled or journaled twin), which
    // RetentionOptions.ShortestRawWebhooksAge covers.
    private const string RawWebhooksSql = """
        DELETE FROM webhooks.inbound_webhooks WHERE id IN (
            SELECT w.id FROM webhooks.inbound_webhooks w
            WHERE w.stored_at < now() - @Age
              AND w.stored_at < (SELECT coalesce(min(o.created_at), 'infinity'::timestamptz) FROM webhooks.outbox o WHERE o.published_at IS NULL)
              AND NOT EXISTS (SELECT 1 FROM webhooks.outbox_dead_letters d WHERE d.created_at = w.stored_at)
            ORDER BY w.stored_at
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED)
        """;

    private const string OutboxSql = """
        DELETE FROM webhooks.outbox WHERE id IN (
            SELECT id FROM webhooks.outbox
            WHERE published_at < now() - @Age
            ORDER BY published_at
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED)
        """;

    private const string DeadLettersSql = """
        DELETE FROM webhooks.outbox_dead_letters WHERE outbox_id IN (
            SELECT outbox_id FROM webhooks.outbox_dead_letters
            WHERE dead_at < now() - @Age
            ORDER BY dead_at
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED)
        """;

    public static readonly RetentionStep RawWebhooks = new("webhooks.inbound_webhooks", RawWebhooksSql,
        o => TimeSpan.FromTicks(Math.Max(o.RawWebhooks.Ticks, RetentionOptions.ShortestRawWebhooksAge.Ticks)));

    public static readonly RetentionStep Outbox = new("webhooks.outbox", OutboxSql, o => o.Outbox);

    public static readonly RetentionStep DeadLetters = new("webhooks.outbox_dead_letters", DeadLettersSql, o => o.OutboxDeadLetters);

    // Dead letters go first: a raw webhook kept for its dead-lettered events may then go in the same run.
    public static RetentionStep[] Steps => [DeadLetters, RawWebhooks, Outbox];
}
