-- Deadlines as rows: due_at is the legal instant; run_at is when the sweeper next tries it
-- (due_at, later after a failed attempt). A fired row is never claimed again.
CREATE TABLE deadlines (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    due_at TEXT NOT NULL,
    run_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'fired', 'cancelled')),
    payload BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    closed_at TEXT
);

CREATE INDEX deadlines_pending_run_at ON deadlines (run_at) WHERE state = 'pending';
CREATE INDEX deadlines_subject ON deadlines (subject);
