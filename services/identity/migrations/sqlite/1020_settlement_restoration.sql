-- Settlement applications (one per stranded person; a new one only after a rejection) and
-- household restorations (one open request per case).
CREATE TABLE settlement_applications (
    id TEXT PRIMARY KEY,
    file_id TEXT NOT NULL REFERENCES identity_files (id),
    case_id TEXT NOT NULL,
    station TEXT NOT NULL,
    division TEXT NOT NULL,
    -- unit ids, comma-separated
    addressed_to TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    note TEXT NOT NULL,
    -- relief.identity.v1.SettlementStatus
    status INTEGER NOT NULL,
    decided_at TEXT,
    decided_by TEXT,
    collective_household TEXT,
    state_support INTEGER,
    central_care_institution TEXT,
    reason TEXT
);

-- 一人一函: at most one application per file that is not rejected (status 3).
CREATE UNIQUE INDEX settlement_one_per_file ON settlement_applications (file_id) WHERE status <> 3;
CREATE INDEX settlement_filed ON settlement_applications (filed_at, id);

CREATE TABLE household_restorations (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    station TEXT NOT NULL,
    division TEXT NOT NULL,
    police_unit TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    note TEXT NOT NULL,
    -- relief.identity.v1.RestorationStatus
    status INTEGER NOT NULL,
    restored_at TEXT,
    restored_division TEXT
);

-- At most one open (status 1) request per case.
CREATE UNIQUE INDEX restoration_one_open_per_case ON household_restorations (case_id) WHERE status = 1;
CREATE INDEX restoration_requested ON household_restorations (requested_at, id);
