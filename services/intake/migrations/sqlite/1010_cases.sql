-- Cases (求助登记: one stay, from admission to final departure), the counters behind their
-- human-readable numbers, and the repeat-vagrancy links between cases of the same person.
--
-- Enumerations are stored as their protobuf numbers. `person` is the Person as JSON, encrypted
-- with the case id as row id (SENSITIVE_COLUMNS); `id_number_index` is the keyed blind index of
-- the ID number, for matching only.
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    case_number TEXT NOT NULL UNIQUE,
    station TEXT NOT NULL,
    division TEXT NOT NULL,
    admitted_at TEXT NOT NULL,
    referral INTEGER NOT NULL,
    referral_encounter_id TEXT REFERENCES encounters (id),
    identity_status INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    status INTEGER NOT NULL,
    -- '' when unknown
    origin_division TEXT NOT NULL,
    -- one item per line
    belongings TEXT NOT NULL,
    health_check TEXT NOT NULL,
    ten_day_rule_applies INTEGER NOT NULL,
    over_ten_days_since TEXT,
    long_stay_reason TEXT,
    long_stay_justified_at TEXT,
    person TEXT NOT NULL,
    id_number_index TEXT,
    -- one warning per line
    warnings TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX cases_admitted ON cases (admitted_at, id);
CREATE INDEX cases_station_admitted ON cases (station, admitted_at, id);
CREATE INDEX cases_division_admitted ON cases (division, admitted_at, id);
CREATE INDEX cases_id_number_index ON cases (id_number_index);

-- The last sequence number given per division and year (China time) of admission.
CREATE TABLE case_number_counters (
    -- Keyed by the division the number starts with, so numbers stay unique even if a division
    -- ever had two stations.
    division TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_sequence INTEGER NOT NULL,
    PRIMARY KEY (division, year)
);

-- A case linked to an earlier case of the same person (多次重复流浪). A split link keeps its row
-- (split_at set) so that it is never linked again automatically.
CREATE TABLE case_links (
    case_id TEXT NOT NULL REFERENCES cases (id),
    earlier_case_id TEXT NOT NULL REFERENCES cases (id),
    linked_at TEXT NOT NULL,
    split_at TEXT,
    PRIMARY KEY (case_id, earlier_case_id)
);

CREATE INDEX case_links_earlier ON case_links (earlier_case_id);
