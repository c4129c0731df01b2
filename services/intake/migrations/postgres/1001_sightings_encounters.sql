-- Sightings (发现报告) and encounters (处置) with their handovers and hospital identifications.
CREATE TABLE sightings (
    id TEXT PRIMARY KEY,
    division TEXT NOT NULL,
    address TEXT NOT NULL,
    found_at TIMESTAMPTZ NOT NULL,
    description TEXT NOT NULL,
    flags BIGINT NOT NULL,
    reported_by_kind TEXT NOT NULL,
    reported_by_division TEXT NOT NULL,
    reported_by_unit TEXT NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL,
    warnings TEXT NOT NULL
);

CREATE INDEX sightings_division_reported ON sightings (division, reported_at);
CREATE INDEX sightings_reported ON sightings (reported_at, id);

CREATE TABLE encounters (
    id TEXT PRIMARY KEY,
    sighting_id TEXT REFERENCES sightings (id),
    division TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    outcome INTEGER NOT NULL,
    flags BIGINT NOT NULL,
    estimated_age INTEGER NOT NULL,
    capacity INTEGER NOT NULL,
    consent_recorded BOOLEAN NOT NULL,
    -- escorted: the written handover
    handing_officer TEXT,
    receiving_station TEXT,
    handed_over_at TIMESTAMPTZ,
    belongings TEXT,
    handover_accepted_at TIMESTAMPTZ,
    receiving_staff TEXT,
    -- acute illness
    hospital TEXT,
    taken_to_hospital BOOLEAN,
    identification_due_at TIMESTAMPTZ,
    identified_at TIMESTAMPTZ,
    needs_relief BOOLEAN,
    -- refused
    contact_given BOOLEAN,
    persuasion TEXT,
    recorded_by_kind TEXT NOT NULL,
    recorded_by_division TEXT NOT NULL,
    recorded_by_unit TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX encounters_receiving_station ON encounters (receiving_station);
CREATE INDEX encounters_sighting ON encounters (sighting_id);
