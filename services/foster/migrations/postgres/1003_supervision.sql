-- Supervision of placements (DOMAIN.md section 3, plan §二(三)1-2). No personal data beyond the
-- free-text findings (care conditions, identity inquiry, the resident's basic condition).

-- The sending station's visits (每月探视). A visit counts for its month (`month`, YYYY-MM, the
-- local month of `visited_at`) only if recorded before the month's end (`counted`); the month's
-- deadline counts the rows with `recorded_at` before it.
CREATE TABLE visits (
    id TEXT PRIMARY KEY,
    placement_id TEXT NOT NULL REFERENCES placements (id),
    institution_id TEXT NOT NULL,
    station TEXT NOT NULL,
    -- the case's division
    division TEXT NOT NULL,
    month TEXT NOT NULL,
    visited_at TIMESTAMPTZ NOT NULL,
    care_conditions TEXT NOT NULL,
    identity_inquiry TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    counted BOOLEAN NOT NULL
);

CREATE INDEX visits_placement ON visits (placement_id, month, recorded_at);
CREATE INDEX visits_visited ON visits (visited_at, id);
CREATE INDEX visits_station ON visits (station, visited_at);
CREATE INDEX visits_institution ON visits (institution_id, visited_at);

-- The institution's monthly reports (定期报告), at most one per placement and month; `due_at`
-- is 24:00 of the 5th working day of the next month, `late` means filed at or after it.
CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    placement_id TEXT NOT NULL REFERENCES placements (id),
    institution_id TEXT NOT NULL,
    station TEXT NOT NULL,
    -- the case's division
    division TEXT NOT NULL,
    month TEXT NOT NULL,
    basic_condition TEXT NOT NULL,
    filed_at TIMESTAMPTZ NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    late BOOLEAN NOT NULL,
    UNIQUE (placement_id, month)
);

CREATE INDEX reports_due ON reports (due_at, id);
CREATE INDEX reports_station ON reports (station, due_at);
CREATE INDEX reports_institution ON reports (institution_id, due_at);
