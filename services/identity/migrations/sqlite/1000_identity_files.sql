-- Identity files (one per stay of a person not confirmed at admission), the cases intake admitted
-- (a small read model built from intake's events: which station holds a case, which file it
-- belongs to), and the family-search notices recorded.
--
-- Enumerations are stored as their protobuf numbers. `identity` is the confirmed IdentityDetails
-- as JSON, encrypted with the file id as row id (SENSITIVE_COLUMNS); `id_number_index` is the
-- keyed blind index of its ID number (the person key of IdentityConfirmed).
CREATE TABLE identity_files (
    id TEXT PRIMARY KEY,
    -- the current case of the stay
    case_id TEXT NOT NULL,
    station TEXT NOT NULL,
    division TEXT NOT NULL,
    stay_began_at TEXT NOT NULL,
    -- relief.intake.v1.IdentityStatus
    admitted_as INTEGER NOT NULL,
    -- relief.identity.v1.IdentityFileStatus
    status INTEGER NOT NULL,
    notice_due_at TEXT,
    request_due_at TEXT NOT NULL,
    stranded_since TEXT,
    confirmed_at TEXT,
    confirmation_method INTEGER,
    confirmation_note TEXT,
    identity TEXT,
    id_number_index TEXT,
    -- '' when unknown
    origin_division TEXT NOT NULL,
    closed_at TEXT,
    -- one warning per line
    warnings TEXT NOT NULL,
    opened_at TEXT NOT NULL
);

CREATE INDEX identity_files_status ON identity_files (status, division);
CREATE INDEX identity_files_stranded ON identity_files (stranded_since, id);

-- Every case intake admitted; `file_id` is set when the case belongs to a file.
CREATE TABLE stay_cases (
    case_id TEXT PRIMARY KEY,
    file_id TEXT REFERENCES identity_files (id),
    station TEXT NOT NULL,
    division TEXT NOT NULL,
    admitted_at TEXT NOT NULL,
    -- the case this one continues (a transfer), '' otherwise
    continues_case_id TEXT NOT NULL,
    closed_at TEXT
);

CREATE INDEX stay_cases_file ON stay_cases (file_id, admitted_at);

CREATE TABLE notices (
    id TEXT PRIMARY KEY,
    file_id TEXT NOT NULL REFERENCES identity_files (id),
    platform TEXT NOT NULL,
    reference TEXT NOT NULL,
    published_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    initial INTEGER NOT NULL,
    on_time INTEGER NOT NULL
);

CREATE INDEX notices_file ON notices (file_id, published_at);
