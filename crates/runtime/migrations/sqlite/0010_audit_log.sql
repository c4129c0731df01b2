-- Every read of personal data: who read which field of whom, when, and why (the caller's
-- `x-relief-purpose`). Append-only: the runtime has no update or delete API, and the triggers
-- below refuse both, so a row once written stays as written.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    caller TEXT NOT NULL,
    caller_kind TEXT NOT NULL,
    caller_division TEXT NOT NULL,
    caller_unit TEXT NOT NULL,
    subject TEXT NOT NULL,
    field TEXT NOT NULL,
    purpose TEXT NOT NULL
);

CREATE INDEX audit_log_subject ON audit_log (subject);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
