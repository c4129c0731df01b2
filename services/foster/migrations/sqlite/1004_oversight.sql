-- Oversight of foster care (DOMAIN.md section 3): incidents of residents (走失, 伤, 亡),
-- inspections (监督检查) of institutions and stations with their findings and rectifications,
-- and the June 19 open day (开放日) of every station and institution.
--
-- Enumerations are stored as their protobuf numbers, local days as YYYY-MM-DD.

CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    placement_id TEXT NOT NULL REFERENCES placements (id),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    -- the institution's division
    division TEXT NOT NULL,
    -- the sending station and the case's division (the placement's scope)
    station TEXT NOT NULL,
    case_division TEXT NOT NULL,
    -- relief.foster.v1.IncidentKind
    kind INTEGER NOT NULL,
    occurred_at TEXT NOT NULL,
    -- what happened, in words; never in an event or a notification
    description TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    -- one notification id per line, one per recipient unit
    notification_ids TEXT NOT NULL
);

CREATE INDEX incidents_reported ON incidents (reported_at, id);
CREATE INDEX incidents_placement ON incidents (placement_id);

CREATE TABLE inspections (
    id TEXT PRIMARY KEY,
    -- 1: an institution, 2: a station
    target_kind INTEGER NOT NULL,
    -- the institution id or the station's unit id
    target_unit TEXT NOT NULL,
    -- the inspected unit's division
    division TEXT NOT NULL,
    -- relief.foster.v1.InspectionAuthority
    authority INTEGER NOT NULL,
    -- the inspecting unit
    inspected_by_kind TEXT NOT NULL,
    inspected_by_division TEXT NOT NULL,
    inspected_by TEXT NOT NULL,
    inspected_on TEXT NOT NULL,
    summary TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

CREATE INDEX inspections_recorded ON inspections (recorded_at, id);
CREATE INDEX inspections_target ON inspections (target_kind, target_unit);
CREATE INDEX inspections_inspector ON inspections (inspected_by);

CREATE TABLE inspection_findings (
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    finding_number INTEGER NOT NULL,
    description TEXT NOT NULL,
    breach INTEGER NOT NULL,
    -- the last local day to rectify; NULL: nothing to rectify
    rectify_by TEXT,
    rectified_at TEXT,
    rectification TEXT,
    rectified_by TEXT,
    -- when RectificationOverdue was raised (once)
    overdue_raised_at TEXT,
    PRIMARY KEY (inspection_id, finding_number)
);

CREATE TABLE open_days (
    year INTEGER NOT NULL,
    -- a station's unit id or an institution's id
    unit TEXT NOT NULL,
    institution INTEGER NOT NULL,
    division TEXT NOT NULL,
    visitors INTEGER NOT NULL CHECK (visitors >= 0),
    description TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (year, unit)
);
