-- Police verification requests, their forwardings and their per-method results.
--
-- `methods` lists the requested methods' protobuf numbers, comma-separated, ascending. Receipt is
-- `received_at` with `receipt` (relief.identity.v1.ReceiptKind); `due_at` is set at receipt
-- (1 month, an act period). `identity` and `sample_reference` of a result are personal data,
-- encrypted with the result id (`<verification id>/<method>`) as row id (SENSITIVE_COLUMNS).
CREATE TABLE verification_requests (
    id TEXT PRIMARY KEY,
    file_id TEXT NOT NULL REFERENCES identity_files (id),
    case_id TEXT NOT NULL,
    station TEXT NOT NULL,
    division TEXT NOT NULL,
    methods TEXT NOT NULL,
    police_unit TEXT NOT NULL,
    note TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    filed_on_time INTEGER NOT NULL,
    acknowledge_by TEXT NOT NULL,
    received_at TEXT,
    receipt INTEGER NOT NULL,
    acknowledged_at TEXT,
    due_at TEXT,
    -- relief.identity.v1.VerificationStatus
    status INTEGER NOT NULL,
    answered_at TEXT,
    answered_on_time INTEGER,
    -- one warning per line
    warnings TEXT NOT NULL
);

CREATE INDEX verification_requests_unit ON verification_requests (police_unit, status, filed_at, id);
CREATE INDEX verification_requests_filed ON verification_requests (filed_at, id);
CREATE INDEX verification_requests_file ON verification_requests (file_id);
CREATE INDEX verification_requests_due ON verification_requests (status, due_at);

CREATE TABLE verification_forwardings (
    verification_id TEXT NOT NULL REFERENCES verification_requests (id),
    position INTEGER NOT NULL,
    from_unit TEXT NOT NULL,
    to_unit TEXT NOT NULL,
    forwarded_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (verification_id, position)
);

CREATE TABLE verification_results (
    -- `<verification id>/<method number>`
    id TEXT PRIMARY KEY,
    verification_id TEXT NOT NULL REFERENCES verification_requests (id),
    method INTEGER NOT NULL,
    outcome INTEGER NOT NULL,
    identity TEXT,
    sample_reference TEXT,
    reason TEXT,
    -- a digest of the submitted result, so a retry is recognised and a different one refused
    fingerprint TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    submitted_by_unit TEXT NOT NULL,
    submitted_by_division TEXT NOT NULL,
    on_time INTEGER NOT NULL,
    UNIQUE (verification_id, method)
);
