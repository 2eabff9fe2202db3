-- A shop may make the texting window stricter, never wider than the federal one (47 CFR 64.1200(c)(1):
-- 8 a.m. to 9 p.m. at the recipient's location). NOT VALID: a row written before stays readable (the service
-- narrows it to the federal window when it reads it) but can no longer be written so.
ALTER TABLE consent.quiet_hours ADD CONSTRAINT quiet_hours_within_federal_window
    CHECK (opens_at >= time '08:00' AND closes_at <= time '21:00') NOT VALID;
