-- The shop's settings as a manager last saved them in the console (one row), overlaid on the configuration's
-- defaults. version grows by one per save; a save names the version it edited, so two managers saving at once
-- cannot overwrite each other unseen (optimistic concurrency: UPDATE ... WHERE version = @edited).
CREATE TABLE orchestrator.shop_settings (
    id          boolean     PRIMARY KEY DEFAULT true CHECK (id),   -- at most one row
    settings    jsonb       NOT NULL,
    version     bigint      NOT NULL CHECK (version > 0),
    updated_by  text        NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Every saved version, who saved it and when: what the manager reviews to see who changed what.
CREATE TABLE orchestrator.shop_settings_history (
    version     bigint      PRIMARY KEY,
    settings    jsonb       NOT NULL,
    updated_by  text        NOT NULL,
    updated_at  timestamptz NOT NULL
);
