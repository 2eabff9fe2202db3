-- A heartbeat dated in the future (anyone with broker credentials could publish one before key events were signed)
-- stayed pinned by GREATEST and kept the key replica "fresh" for good. The consumer now stores at most this database's
-- clock; this brings a row stored before that back to now, so the replica turns stale unless the owner is heard.
UPDATE consent.api_key_heartbeat SET published_at = now() WHERE published_at > now();
