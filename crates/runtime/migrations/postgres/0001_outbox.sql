-- The transactional outbox: every event a service emits, in commit order.
-- Writers take a transaction-scoped advisory lock before appending, so sequence order is commit
-- order and a feed reader never skips a sequence number committed after a later one was read.
CREATE TABLE outbox (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    occurred_at TIMESTAMPTZ NOT NULL,
    type_url TEXT NOT NULL,
    payload BYTEA NOT NULL,
    traceparent TEXT NOT NULL DEFAULT ''
);
