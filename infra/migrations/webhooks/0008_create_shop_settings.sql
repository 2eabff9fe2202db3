-- This service's own copy of the shop settings the front door follows (hours, zone, ring group), from the
-- orchestrator's ShopSettingsChanged events; at most one row. Loaded at start when present, configuration
-- otherwise. The consumer only replaces it with a higher version, so an event redelivered or overtaken late
-- never puts older settings back.
CREATE TABLE webhooks.shop_settings (
    id           boolean     PRIMARY KEY DEFAULT true CHECK (id),
    version      bigint      NOT NULL CHECK (version > 0),
    time_zone    text        NOT NULL,
    open_hours   jsonb       NOT NULL,
    ring_group   text[]      NOT NULL,
    updated_by   text,
    received_at  timestamptz NOT NULL
);
