-- Idempotency keys of mutating RPCs: scoped by caller and method, kept at least 7 days.
CREATE TABLE idempotency_keys (
    caller TEXT NOT NULL,
    method TEXT NOT NULL,
    request_id TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    response BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (caller, method, request_id)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
