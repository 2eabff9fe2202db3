-- One row per inbound call: what we know of it, merged from callbacks that arrive in any order.
CREATE TABLE webhooks.calls (
    call_sid        text        PRIMARY KEY,
    caller          text        NOT NULL,
    caller_withheld boolean     NOT NULL,
    shop_line       text        NOT NULL,
    after_hours     boolean     NOT NULL,
    internal        boolean     NOT NULL,
    started_at      timestamptz NOT NULL,
    -- The newest status seen; status_sequence (Twilio's SequenceNumber) or status_at decides what is newer.
    status          text,
    status_sequence integer,
    status_at       timestamptz,
    dial_status     text,
    answered        boolean     NOT NULL DEFAULT false,
    -- missed | abandoned | answered | internal: set once, by whichever callback decides it first
    -- (UPDATE ... WHERE outcome IS NULL), so a call yields at most one missed or abandoned event.
    outcome         text
);

-- A voicemail and its transcription, which Twilio posts separately and in either order.
CREATE TABLE webhooks.voicemails (
    recording_sid           text        PRIMARY KEY,
    call_sid                text        NOT NULL,
    recording_status        text,
    recording_url           text,
    duration_seconds        integer,
    recorded_at             timestamptz,
    transcription_sid       text,
    transcription_status    text,
    transcription_text      text,
    captured_published      boolean     NOT NULL DEFAULT false,
    transcription_published boolean     NOT NULL DEFAULT false
);

CREATE INDEX voicemails_by_call ON webhooks.voicemails (call_sid);

-- Outbound message delivery state; status_rank keeps an older callback from overwriting a newer one.
CREATE TABLE webhooks.messages (
    message_sid   text        PRIMARY KEY,
    status        text        NOT NULL,
    status_rank   integer     NOT NULL,
    error_code    integer,
    updated_at    timestamptz NOT NULL
);
