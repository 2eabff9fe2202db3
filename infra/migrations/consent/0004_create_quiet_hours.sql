-- When a text may reach a recipient, in the recipient's local time. 'default' is the federal window
-- (47 CFR 64.1200(c)(1): 8 a.m. to 9 p.m.); a row per US state makes it stricter (Fla. Stat. 501.616(6)(a):
-- 8 a.m. to 8 p.m.). The shop edits this table; the strictest window that applies wins.
CREATE TABLE consent.quiet_hours (
    region      text PRIMARY KEY,
    opens_at    time NOT NULL,
    closes_at   time NOT NULL CHECK (opens_at < closes_at),
    source_note text NOT NULL
);

INSERT INTO consent.quiet_hours (region, opens_at, closes_at, source_note) VALUES
    ('default', '08:00', '21:00', '47 CFR 64.1200(c)(1)'),
    ('US-FL', '08:00', '20:00', 'Fla. Stat. 501.616(6)(a)');
