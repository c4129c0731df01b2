-- Agreements (托养协议) between a sending station and an institution, versioned: a day is
-- governed by the highest version whose term covers it.
CREATE TABLE agreements (
    id TEXT PRIMARY KEY,
    station TEXT NOT NULL,
    station_division TEXT NOT NULL,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    version INTEGER NOT NULL,
    -- YYYY-MM-DD, local
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    beds INTEGER NOT NULL,
    margin_bps INTEGER NOT NULL,
    reference TEXT NOT NULL,
    signed_by TEXT NOT NULL,
    signed_at TIMESTAMPTZ NOT NULL,
    UNIQUE (station, institution_id, version)
);

CREATE INDEX agreements_institution ON agreements (institution_id, station);
CREATE INDEX agreements_signed ON agreements (signed_at, id);

-- Placements: one case's person in one institution (a move is a new row continuing the last).
-- No personal data: the person stays in intake.
CREATE TABLE placements (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    case_number TEXT NOT NULL,
    station TEXT NOT NULL,
    division TEXT NOT NULL,
    -- relief.foster.v1.PlacementStatus
    status INTEGER NOT NULL,
    -- relief.foster.v1.PlacementReason
    reason INTEGER NOT NULL,
    reason_details TEXT NOT NULL,
    -- relief.foster.v1.SelfCare
    self_care INTEGER NOT NULL,
    -- relief.foster.v1.AgeGroup
    age_group INTEGER NOT NULL,
    special_group BOOLEAN NOT NULL,
    institution_id TEXT REFERENCES institutions (id),
    institution_division TEXT,
    agreement_id TEXT REFERENCES agreements (id),
    justification TEXT,
    proposed_by TEXT NOT NULL,
    proposed_at TIMESTAMPTZ NOT NULL,
    decided_by TEXT,
    decided_at TIMESTAMPTZ,
    decline_reason TEXT,
    placed_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    -- relief.foster.v1.PlacementEndKind
    end_kind INTEGER,
    destination_division TEXT,
    end_notes TEXT,
    next_placement_id TEXT,
    previous_placement_id TEXT,
    identity_confirmed_at TIMESTAMPTZ
);

CREATE INDEX placements_proposed ON placements (proposed_at, id);
CREATE INDEX placements_case ON placements (case_id);
CREATE INDEX placements_institution ON placements (institution_id, status);
-- At most one open (proposed or active) placement per case.
CREATE UNIQUE INDEX placements_one_open ON placements (case_id) WHERE status IN (1, 3);
