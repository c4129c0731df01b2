-- Sightings (发现报告) and encounters (处置) with their handovers and hospital identifications.
CREATE TABLE sightings (
    id TEXT PRIMARY KEY,
    division TEXT NOT NULL,
    address TEXT NOT NULL,
    found_at TEXT NOT NULL,
    description TEXT NOT NULL,
    flags INTEGER NOT NULL,
    reported_by_kind TEXT NOT NULL,
    reported_by_division TEXT NOT NULL,
    reported_by_unit TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    warnings TEXT NOT NULL
);

CREATE INDEX sightings_division_reported ON sightings (division, reported_at);
CREATE INDEX sightings_reported ON sightings (reported_at, id);

CREATE TABLE encounters (
    id TEXT PRIMARY KEY,
    sighting_id TEXT REFERENCES sightings (id),
    division TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    outcome INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    estimated_age INTEGER NOT NULL,
    capacity INTEGER NOT NULL,
    consent_recorded INTEGER NOT NULL,
    -- escorted: the written handover
    handing_officer TEXT,
    receiving_station TEXT,
    handed_over_at TEXT,
    belongings TEXT,
    handover_accepted_at TEXT,
    receiving_staff TEXT,
    -- acute illness
    hospital TEXT,
    taken_to_hospital INTEGER,
    identification_due_at TEXT,
    identified_at TEXT,
    needs_relief INTEGER,
    -- refused
    contact_given INTEGER,
    persuasion TEXT,
    recorded_by_kind TEXT NOT NULL,
    recorded_by_division TEXT NOT NULL,
    recorded_by_unit TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

CREATE INDEX encounters_receiving_station ON encounters (receiving_station);
CREATE INDEX encounters_sighting ON encounters (sighting_id);
