-- Services given during a stay with their costs (据实结算), incidents in the station (走失, 伤, 亡)
-- and reports of suspected abuse (疑似遭受虐待或不法侵害).
--
-- Enumerations are stored as their protobuf numbers; money as integer fen.

CREATE TABLE case_services (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    kind INTEGER NOT NULL,
    given_at TIMESTAMPTZ NOT NULL,
    cost_fen BIGINT NOT NULL CHECK (cost_fen >= 0),
    -- '' when none
    description TEXT NOT NULL,
    -- the station that recorded it
    recorded_by_unit TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX case_services_case_given ON case_services (case_id, given_at, id);

CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    division TEXT NOT NULL,
    kind INTEGER NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    description TEXT NOT NULL,
    -- one notification id per line, one per recipient unit
    notification_ids TEXT NOT NULL,
    reported_by_unit TEXT NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX incidents_case ON incidents (case_id, occurred_at);

CREATE TABLE abuse_reports (
    id TEXT PRIMARY KEY,
    -- NULL when the person has no case
    case_id TEXT REFERENCES cases (id),
    division TEXT NOT NULL,
    -- what was observed; never in an event
    description TEXT NOT NULL,
    reported_by_kind TEXT NOT NULL,
    reported_by_division TEXT NOT NULL,
    reported_by_unit TEXT NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL,
    -- one notification id per line
    notification_ids TEXT NOT NULL
);

CREATE INDEX abuse_reports_division ON abuse_reports (division, reported_at);
CREATE INDEX abuse_reports_case ON abuse_reports (case_id);
