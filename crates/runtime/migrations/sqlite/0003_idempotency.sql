-- Idempotency keys of mutating RPCs: scoped by caller and method, kept at least 7 days.
CREATE TABLE idempotency_keys (
    caller TEXT NOT NULL,
    method TEXT NOT NULL,
    request_id TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    response BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (caller, method, request_id)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
