-- Every read of personal data: who read which field of whom, when, and why (the caller's
-- `x-relief-purpose`). Append-only: the runtime has no update or delete API, and the trigger
-- below refuses both (TRUNCATE too), so a row once written stays as written.
CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
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

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
