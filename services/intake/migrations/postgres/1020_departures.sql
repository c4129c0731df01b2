-- Departures (离站) and return follow-ups (回归稳固), and two columns on `cases`.
--
-- `cases.turns_16_at`: the instant (00:00 China time) from which the person is 16, so that the
-- rule "a person under 16 leaves only with a guardian or an escort" needs no decryption of the
-- person. NULL when the age is unknown (then the `minor` flag decides); for a person already 16
-- at admission it is the admission instant itself, so it never tells an adult's birth date.
-- `cases.transferred_from_case_id`: the case a TRANSFER admission continues; a transfer is
-- continued once.
ALTER TABLE cases ADD COLUMN turns_16_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN transferred_from_case_id TEXT REFERENCES cases (id);

CREATE UNIQUE INDEX cases_transferred_from ON cases (transferred_from_case_id);

-- How a case closed: one row per closed case. Enumerations are protobuf numbers.
CREATE TABLE departures (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    kind INTEGER NOT NULL,
    departed_at TIMESTAMPTZ NOT NULL,
    -- RETURNED_HOME only (else 0 / false / NULL)
    return_mode INTEGER NOT NULL,
    relative_id_checked BOOLEAN NOT NULL,
    destination_division TEXT,
    -- TRANSFERRED only
    transfer_to_station TEXT,
    guardian_present BOOLEAN NOT NULL,
    escorted BOOLEAN NOT NULL,
    notes TEXT NOT NULL,
    -- the station unit that recorded it
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX departures_transfer_to ON departures (transfer_to_station);

-- The follow-up of a return home, for the destination (origin) county.
CREATE TABLE follow_ups (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL UNIQUE REFERENCES cases (id),
    -- the destination division of the return
    division TEXT NOT NULL,
    -- the division of the civil-affairs bureau responsible: `division` when it has a county
    -- bureau, else the city bureau's; callers whose division covers it see the follow-up
    bureau_division TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ,
    recorded_by TEXT,
    situation TEXT,
    -- SupportKind numbers, comma-separated
    support TEXT NOT NULL,
    guardians_reminded BOOLEAN NOT NULL,
    guardian_abuse_found BOOLEAN NOT NULL,
    on_time BOOLEAN NOT NULL
);

CREATE INDEX follow_ups_bureau_due ON follow_ups (bureau_division, due_at, id);
CREATE INDEX follow_ups_due ON follow_ups (due_at, id);
