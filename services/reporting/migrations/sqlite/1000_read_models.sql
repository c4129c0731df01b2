-- Reporting read models (DOMAIN.md §4). Built only from feed events; rebuilt from seq 0 when this
-- database is deleted. The same text is the PostgreSQL migration (docs/architecture.md, "Reporting:
-- one schema text"): instants are BIGINT microseconds since the epoch (UTC), booleans and enums
-- INTEGER, local days TEXT 'YYYY-MM-DD' (Asia/Shanghai), months TEXT 'YYYY-MM'.
-- Every write is keyed by an entity id or (metric, subject): applying an event twice changes nothing.
-- Entity columns that record a one-time fact are written first-value-wins (COALESCE(old, new)); state
-- that moves (the addressed police unit, a document's expiry) is written last-wins.

-- One row per consumed feed, updated in the transaction of each applied event (the runtime's
-- consumer_cursors holds the cursor itself). head_* cache the source's last GetFeedHead answer, so a
-- source that is down still shows the head it was last seen with.
CREATE TABLE r_feed (
    feed TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    last_occurred_at BIGINT NOT NULL,
    applied BIGINT NOT NULL,
    head_seq BIGINT,
    head_occurred_at BIGINT
);

-- Cases, from intake (and foster, which may arrive first: then station/division stay NULL until
-- PersonAdmitted). division = the admitting station's division.
CREATE TABLE r_cases (
    case_id TEXT PRIMARY KEY,
    station TEXT,
    division TEXT,
    admitted_at BIGINT,
    admitted_day TEXT,
    referral INTEGER,
    identity_status INTEGER,
    flags INTEGER,                       -- bit set: see ingest::intake::flags
    origin_division TEXT,                -- latest known, mapped to the current county code
    origin_confirmed INTEGER NOT NULL DEFAULT 0, -- 1: the origin is identity's confirmed one, which
                                         -- intake's later or earlier word does not replace
    continues_case_id TEXT,
    over_10_since BIGINT,                -- StayFlagged
    justified_at BIGINT,                 -- StayJustified
    closed_at BIGINT,
    departure_kind INTEGER,
    destination_division TEXT
);
CREATE INDEX r_cases_open ON r_cases (division) WHERE closed_at IS NULL;

-- Placements in foster care. division = the case's division (ResidentPlaced.division).
CREATE TABLE r_placements (
    placement_id TEXT PRIMARY KEY,
    case_id TEXT,
    station TEXT,
    division TEXT,
    institution_id TEXT,
    proposed_at BIGINT,
    approved_at BIGINT,
    declined_at BIGINT,                  -- declined or withdrawn
    placed_at BIGINT,
    previous_placement_id TEXT,
    ended_at BIGINT,
    end_kind INTEGER,
    next_placement_id TEXT
);
CREATE INDEX r_placements_case ON r_placements (case_id);
CREATE INDEX r_placements_active ON r_placements (division)
    WHERE placed_at IS NOT NULL AND ended_at IS NULL;

-- Identity files. division moves with IdentityFileContinued.
CREATE TABLE r_identity_files (
    file_id TEXT PRIMARY KEY,
    case_id TEXT,
    station TEXT,                        -- the station holding the file now
    division TEXT,
    notice_due_at BIGINT,                -- the first notice's due time (an unknown identity only)
    request_due_at BIGINT,               -- the verification request's due time
    stranded_since BIGINT,
    missing_steps INTEGER,               -- bit set (1 << StrandedStep number) of the steps missing
    confirmed_at BIGINT,
    confirm_method INTEGER,
    closed_at BIGINT,
    settlement_approved_at BIGINT
);
CREATE INDEX r_files_stranded ON r_identity_files (division)
    WHERE stranded_since IS NOT NULL AND confirmed_at IS NULL AND closed_at IS NULL;

-- Verification requests. police_unit = the unit addressed now (forwarding moves it). withdrawn_at is
-- inferred from the file's confirmation or closing (identity withdraws open requests then).
CREATE TABLE r_verifications (
    verification_id TEXT PRIMARY KEY,
    file_id TEXT NOT NULL,
    division TEXT NOT NULL,
    police_unit TEXT NOT NULL,
    filed_at BIGINT NOT NULL,
    received_at BIGINT,
    due_at BIGINT,
    answered_at BIGINT,
    answered_on_time INTEGER,
    overdue_at BIGINT,
    withdrawn_at BIGINT
);
CREATE INDEX r_verifications_open ON r_verifications (division, due_at)
    WHERE answered_at IS NULL AND withdrawn_at IS NULL;
CREATE INDEX r_verifications_file ON r_verifications (file_id);

-- Foster institutions. expiring: a warning or expiry event was seen and no renewal since.
CREATE TABLE r_institutions (
    institution_id TEXT PRIMARY KEY,
    division TEXT NOT NULL,
    documents_expire_on TEXT,            -- the earliest document expiry, local day
    expiring INTEGER NOT NULL DEFAULT 0,
    suspended INTEGER NOT NULL DEFAULT 0
);

-- One row per resident (case) and local month: a visit to the previous placement counts for the new one.
CREATE TABLE r_visits (
    case_id TEXT NOT NULL,
    month TEXT NOT NULL,
    division TEXT NOT NULL,
    visited_at BIGINT,                   -- a counted visit
    overdue INTEGER NOT NULL DEFAULT 0,  -- VisitOverdue
    PRIMARY KEY (case_id, month)
);

-- Repeat-vagrancy links between cases; a split ends one.
CREATE TABLE r_repeat_links (
    case_id TEXT NOT NULL,
    earlier_case_id TEXT NOT NULL,
    origin_division TEXT,
    linked_at BIGINT NOT NULL,
    split_at BIGINT,
    PRIMARY KEY (case_id, earlier_case_id)
);

-- Every notification of every service. source_service = where it is acknowledged.
CREATE TABLE r_notifications (
    notification_id TEXT PRIMARY KEY,
    source_service TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    division TEXT NOT NULL,
    recipient_kind INTEGER NOT NULL,
    recipient_division TEXT NOT NULL,
    recipient_unit TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    acknowledge_by BIGINT NOT NULL,
    escalation_of TEXT,                  -- empty or NULL: not an escalation
    acknowledged_at BIGINT,
    ack_on_time INTEGER,
    escalated_at BIGINT
);
CREATE INDEX r_notifications_unit ON r_notifications (recipient_unit, issued_at);
CREATE INDEX r_notifications_due ON r_notifications (division, acknowledge_by);
CREATE INDEX r_notifications_subject ON r_notifications (subject);

-- Late or overdue obligations per deadline kind, for accountability: one row per obligation.
CREATE TABLE r_late_items (
    item_key TEXT PRIMARY KEY,           -- '<deadline kind>:<subject id>[:<month>]'
    deadline_kind TEXT NOT NULL,
    division TEXT NOT NULL,
    responsible_unit TEXT,               -- station, police unit or institution, when the event says
    due_at BIGINT NOT NULL,
    late_at BIGINT NOT NULL,             -- when it was seen late
    done_at BIGINT,                      -- done late; NULL: still open
    done_day TEXT,
    withdrawn_at BIGINT                  -- the obligation ended undone (file confirmed or closed,
                                         -- request withdrawn or answered, placement ended)
);
CREATE INDEX r_late_items_division ON r_late_items (division, done_at);

-- Deaths, abuse and people gone missing (escalations left unresolved are derived at query time
-- from r_notifications, because they depend on "now").
CREATE TABLE r_major_situations (
    situation_id TEXT PRIMARY KEY,       -- 'DEATH:<case_id>', 'ABUSE:<report_id>', 'MISSING:<case or incident>'
    kind INTEGER NOT NULL,               -- MajorSituationKind
    division TEXT NOT NULL,
    case_id TEXT,
    subject TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    occurred_day TEXT NOT NULL,
    sources TEXT NOT NULL                -- comma list of the event type names seen for it
);
CREATE INDEX r_major_day ON r_major_situations (occurred_day, division);

-- The one contribution of one subject to one metric (facts::put). Re-applying writes the same row:
-- no change. A revision (an origin learned later, on time turned late) moves the value between
-- counters of r_daily.
CREATE TABLE r_facts (
    metric TEXT NOT NULL,
    subject TEXT NOT NULL,
    day TEXT NOT NULL,
    division TEXT NOT NULL,
    dim TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (metric, subject)
);

-- Daily counters: period statistics and funds are SUMs over a day range of this table only.
CREATE TABLE r_daily (
    day TEXT NOT NULL,
    division TEXT NOT NULL,
    metric TEXT NOT NULL,
    dim TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (day, division, metric, dim)
);
CREATE INDEX r_daily_metric ON r_daily (metric, day);
