-- The transactional outbox: every event a service emits, in commit order (SQLite has one
-- writer at a time, so sequence order is commit order).
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    occurred_at TEXT NOT NULL,
    type_url TEXT NOT NULL,
    payload BLOB NOT NULL,
    traceparent TEXT NOT NULL DEFAULT ''
);
