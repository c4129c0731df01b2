-- A test service's table. sqlx stores chrono DateTime<Utc> in SQLite as RFC 3339 text.
CREATE TABLE items (
    id TEXT PRIMARY KEY NOT NULL,
    amount_fen INTEGER NOT NULL,
    paid BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
