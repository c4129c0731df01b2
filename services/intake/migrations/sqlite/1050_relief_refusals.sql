-- Refusals of relief (不予救助) with the reason of the refusal notice.
CREATE TABLE relief_refusals (
    id TEXT PRIMARY KEY,
    station TEXT NOT NULL,
    division TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    referral INTEGER NOT NULL,
    referral_encounter_id TEXT,
    flags BIGINT NOT NULL,
    recorded_at TEXT NOT NULL
);

CREATE INDEX relief_refusals_station ON relief_refusals (station, decided_at);
